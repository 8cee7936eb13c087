-- A batch of loads' changes applied to the rollups in one statement (finops.analytics.rollups.apply_changes): for
-- each group that changed, the new rows' sums minus what the deleted rows held (collection/delete_window.sql),
-- summed over the batch's claimed loads. spend_project_daily and spend_project_monthly per team,
-- spend_model_daily over all teams. Each rollup's groups come as one JSON array of rows (exact amounts as text):
-- a few hundred rows cost far less to send as one text than as a dozen arrays of Python values (jsonb: each row's
-- fields are read without parsing the row again). Keys are upserted in a fixed order: concurrent batches touching
-- the same days wait for each other instead of deadlocking. Returns how many groups were left with no row;
-- drop_empty.sql removes them.
WITH projects AS (
    INSERT INTO finops.spend_project_daily AS p (provider, team_id, usage_date, project_id, currency, amount, rows)
    SELECT %(provider)s, c->>0, (c->>1)::date, c->>2, c->>3, (c->>4)::numeric, (c->>5)::integer
    FROM jsonb_array_elements(%(days)s::jsonb) AS c
    ORDER BY c->>0, (c->>1)::date, c->>2, c->>3
    ON CONFLICT (provider, team_id, usage_date, project_id, currency)
    DO UPDATE SET amount = p.amount + EXCLUDED.amount, rows = p.rows + EXCLUDED.rows
    RETURNING p.rows
), months AS (
    INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
    SELECT %(provider)s, c->>0, (c->>1)::date, c->>2, c->>3, (c->>4)::numeric, (c->>5)::integer
    FROM jsonb_array_elements(%(months)s::jsonb) AS c
    ORDER BY c->>0, (c->>1)::date, c->>2, c->>3
    ON CONFLICT (provider, team_id, month, project_id, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
), models AS (
    INSERT INTO finops.spend_model_daily AS m
           (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    SELECT %(provider)s, (c->>0)::date, c->>1, c->>2, c->>3, c->>4, c->>5, c->>6, (c->>7)::numeric, (c->>8)::integer
    FROM jsonb_array_elements(%(models)s::jsonb) AS c
    ORDER BY (c->>0)::date, c->>1, c->>2, c->>3, c->>4, c->>5, c->>6
    ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
)
SELECT count(*) AS emptied
FROM (SELECT rows FROM projects UNION ALL SELECT rows FROM months UNION ALL SELECT rows FROM models) AS changed
WHERE rows = 0;
