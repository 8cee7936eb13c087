-- A team window's load applied to the rollups as a change, in one statement (one round trip per load):
-- the window's old cost rows (returned by collection/delete_window.sql, passed back as arrays) are subtracted
-- and its new cost rows added, per cost row; rows loaded again with the same amount cancel out, so settled
-- days write nothing. Only the groups that changed are upserted, as deltas, into spend_project_daily and
-- spend_project_monthly (the team's) and spend_model_daily (all teams'); spend_daily is a view.
-- Keys are upserted in a fixed order: concurrent teams touching the same days wait for each other instead of
-- deadlocking. Returns each changed group's resulting row count; groups left at 0 are removed by
-- drop_empty.sql.
-- When a line item of the window (old or new) has no dimensions yet, the statement changes nothing and returns
-- -1 (`blocked`): the caller reads them (line_items_missing.sql), parses them, inserts them (ON CONFLICT DO
-- NOTHING, line_item_insert.sql) and runs it again. So a load locks no rollup row before its new line items
-- are stored, and two loads adding the same new line item cannot deadlock.
WITH old AS (
    SELECT usage_date, project_id, line_item, currency, amount
    FROM unnest(%(old_days)s::date[], %(old_projects)s::text[], %(old_items)s::text[], %(old_currencies)s::text[],
                %(old_amounts)s::numeric[]) AS o (usage_date, project_id, line_item, currency, amount)
), new AS (
    SELECT usage_date, project_id, line_item, currency, amount
    FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
), blocked AS (
    SELECT EXISTS (
        SELECT 1
        FROM (SELECT line_item FROM new UNION SELECT line_item FROM old) AS i
        WHERE NOT EXISTS (SELECT 1 FROM finops.line_items AS d
                          WHERE d.provider = %(provider)s AND d.line_item = i.line_item)
    ) AS yes
), change AS (
    SELECT usage_date, project_id, line_item, currency, sum(amount) AS amount, sum(rows)::integer AS rows
    FROM (
        SELECT usage_date, project_id, line_item, currency, -amount, -1 FROM old
        UNION ALL
        SELECT usage_date, project_id, line_item, currency, amount, 1 FROM new
    ) AS both_sides (usage_date, project_id, line_item, currency, amount, rows)
    WHERE NOT (SELECT yes FROM blocked)
    GROUP BY usage_date, project_id, line_item, currency
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
), projects AS (
    INSERT INTO finops.spend_project_daily AS p (provider, team_id, usage_date, project_id, currency, amount, rows)
    SELECT %(provider)s, %(team_id)s, usage_date, project_id, currency, sum(amount), sum(rows)
    FROM change
    GROUP BY usage_date, project_id, currency
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
    ORDER BY usage_date, project_id, currency
    ON CONFLICT (provider, team_id, usage_date, project_id, currency)
    DO UPDATE SET amount = p.amount + EXCLUDED.amount, rows = p.rows + EXCLUDED.rows
    RETURNING p.rows
), months AS (
    INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
    SELECT %(provider)s, %(team_id)s, date_trunc('month', usage_date)::date, project_id, currency, sum(amount),
           sum(rows)
    FROM change
    GROUP BY 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
    ORDER BY 3, 4, 5
    ON CONFLICT (provider, team_id, month, project_id, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
), models AS (
    INSERT INTO finops.spend_model_daily AS m
           (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    SELECT %(provider)s, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency,
           sum(c.amount), sum(c.rows)
    FROM change AS c
    JOIN finops.line_items AS d ON d.provider = %(provider)s AND d.line_item = c.line_item
    GROUP BY c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency
    HAVING sum(c.amount) <> 0 OR sum(c.rows) <> 0
    ORDER BY c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency
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
