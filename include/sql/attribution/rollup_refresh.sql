-- A batch of loads' changes applied to spend_key_daily and spend_key_monthly (finops.analytics.rollups
-- apply_changes, with refresh_window.sql in the same transaction): per group, the new rows' sums minus what the
-- deleted rows held, summed over the batch's claimed loads, one JSON array per rollup (exact amounts as text;
-- a NULL key is JSON null; spend with no key's kind of cost read from line_items, as spend_model_daily's
-- dimensions are). Upserted in a fixed order (concurrent batches wait instead of deadlocking). Returns how many
-- groups were left with no row; rollup_drop_empty.sql removes them.
WITH days AS (
    INSERT INTO finops.spend_key_daily AS k (provider, team_id, usage_date, project_id, api_key_id, allocated,
                                             cost_kind, currency, amount, rows)
    SELECT %(provider)s, c->>0, (c->>1)::date, c->>2, c->>3, (c->>4)::boolean, c->>5, c->>6, (c->>7)::numeric,
           (c->>8)::integer
    FROM jsonb_array_elements(%(key_days)s::jsonb) AS c
    ORDER BY c->>0, (c->>1)::date, c->>2, c->>3, (c->>4)::boolean, c->>5, c->>6
    ON CONFLICT ON CONSTRAINT spend_key_daily_group
    DO UPDATE SET amount = k.amount + EXCLUDED.amount, rows = k.rows + EXCLUDED.rows
    RETURNING k.rows
), months AS (
    INSERT INTO finops.spend_key_monthly AS k (provider, team_id, month, project_id, api_key_id, allocated,
                                               cost_kind, currency, amount, rows)
    SELECT %(provider)s, c->>0, (c->>1)::date, c->>2, c->>3, (c->>4)::boolean, c->>5, c->>6, (c->>7)::numeric,
           (c->>8)::integer
    FROM jsonb_array_elements(%(key_months)s::jsonb) AS c
    ORDER BY (c->>1)::date, c->>0, c->>2, c->>3, (c->>4)::boolean, c->>5, c->>6
    ON CONFLICT ON CONSTRAINT spend_key_monthly_group
    DO UPDATE SET amount = k.amount + EXCLUDED.amount, rows = k.rows + EXCLUDED.rows
    RETURNING k.rows
)
SELECT count(*) AS emptied
FROM (SELECT rows FROM days UNION ALL SELECT rows FROM months) AS changed
WHERE rows = 0;
