-- A team window's load applied to the rollups as a change, in one statement (one round trip per load):
-- what the window's old rows contributed (summed by collection/delete_window.sql, passed back as arrays) is
-- subtracted and what its new rows contribute added, group by group; a group whose sum and row count are
-- unchanged (a settled day loaded again) cancels out and is not written. Only the changed groups are upserted,
-- as deltas, into spend_project_daily and spend_project_monthly (the team's) and spend_model_daily (all
-- teams'); spend_daily is a view of cost_data.
-- Keys are upserted in a fixed order: concurrent teams touching the same days wait for each other instead of
-- deadlocking. Returns each changed group's resulting row count; groups left at 0 are removed by
-- drop_empty.sql.
-- When a line item of the window has no dimensions yet, the statement changes nothing and returns -1
-- (`blocked`): the caller reads them (line_items_missing.sql), parses them, inserts them (ON CONFLICT DO
-- NOTHING, line_item_insert.sql) and runs it again. So a load locks no rollup row before its new line items
-- are stored, and two loads adding the same new line item cannot deadlock.
WITH new AS (
    SELECT c.usage_date, c.project_id, c.line_item, c.currency, c.amount, d.line_item AS parsed, d.model,
           d.model_family, d.token_kind, d.tier, d.cost_kind
    FROM finops.cost_data AS c
    LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
      AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
), blocked AS (
    SELECT EXISTS (SELECT 1 FROM new WHERE parsed IS NULL) AS yes
), project_change AS (
    SELECT usage_date, project_id, currency, sum(amount) AS amount, sum(rows)::integer AS rows
    FROM (
        SELECT usage_date, project_id, currency, -amount, -rows
        FROM unnest(%(p_days)s::date[], %(p_projects)s::text[], %(p_currencies)s::text[], %(p_amounts)s::numeric[],
                    %(p_rows)s::integer[]) AS o (usage_date, project_id, currency, amount, rows)
        UNION ALL
        SELECT usage_date, project_id, currency, amount, 1 FROM new
    ) AS both_sides (usage_date, project_id, currency, amount, rows)
    WHERE NOT (SELECT yes FROM blocked)
    GROUP BY usage_date, project_id, currency
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
), projects AS (
    INSERT INTO finops.spend_project_daily AS p (provider, team_id, usage_date, project_id, currency, amount, rows)
    SELECT %(provider)s, %(team_id)s, usage_date, project_id, currency, amount, rows
    FROM project_change
    ORDER BY usage_date, project_id, currency
    ON CONFLICT (provider, team_id, usage_date, project_id, currency)
    DO UPDATE SET amount = p.amount + EXCLUDED.amount, rows = p.rows + EXCLUDED.rows
    RETURNING p.rows
), months AS (
    INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
    SELECT %(provider)s, %(team_id)s, date_trunc('month', usage_date)::date, project_id, currency, sum(amount),
           sum(rows)
    FROM project_change
    GROUP BY 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
    ORDER BY 3, 4, 5
    ON CONFLICT (provider, team_id, month, project_id, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
), model_change AS (
    SELECT usage_date, model, model_family, token_kind, tier, cost_kind, currency, sum(amount) AS amount,
           sum(rows)::integer AS rows
    FROM (
        SELECT usage_date, model, model_family, token_kind, tier, cost_kind, currency, -amount, -rows
        FROM unnest(%(m_days)s::date[], %(m_models)s::text[], %(m_families)s::text[], %(m_token_kinds)s::text[],
                    %(m_tiers)s::text[], %(m_cost_kinds)s::text[], %(m_currencies)s::text[],
                    %(m_amounts)s::numeric[], %(m_rows)s::integer[])
             AS o (usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
        UNION ALL
        SELECT usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, 1 FROM new
    ) AS both_sides (usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    WHERE NOT (SELECT yes FROM blocked)
    GROUP BY usage_date, model, model_family, token_kind, tier, cost_kind, currency
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
), models AS (
    INSERT INTO finops.spend_model_daily AS m
           (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    SELECT %(provider)s, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows
    FROM model_change
    ORDER BY usage_date, model, model_family, token_kind, tier, cost_kind, currency
    ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
)
SELECT rows FROM projects
UNION ALL
SELECT rows FROM months
UNION ALL
SELECT rows FROM models
UNION ALL
SELECT -1 FROM blocked WHERE yes;  -- the caller parses the new line items and runs the statement again
