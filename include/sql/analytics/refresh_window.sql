-- A team window's rollups replaced in one statement (one plan, one round trip per load):
--   spend_daily and spend_project_daily: the window's rows deleted and inserted again from cost_data;
--   spend_model_daily (all teams) and spend_project_monthly (the team's months): the window's change added,
--   i.e. the new groups minus the deleted ones.
-- The inserts read the deletes' results first (the scalar subqueries), so a group can be deleted and
-- inserted again in the same statement. Keys are upserted in a fixed order: concurrent teams touching the
-- same days wait for each other instead of deadlocking. Returns each model and monthly group's resulting row
-- count; groups left at 0 are removed by model_daily_drop_empty.sql.
-- When a line item of the window has no dimensions yet, the statement changes nothing and returns -1
-- (`blocked`): the caller reads them (line_items_missing.sql), parses them, inserts it (ON CONFLICT DO NOTHING, line_item_insert.sql) and runs it again. So a
-- load locks no rollup row before its new line items are stored, and two loads adding the same new line
-- item cannot deadlock.
WITH blocked AS (
    SELECT EXISTS (
        SELECT 1
        FROM finops.cost_data AS c
        LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
        WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
          AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
          AND d.line_item IS NULL
    ) AS yes
), new AS (
    SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
           d.cost_kind, c.currency, sum(c.amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data AS c
    JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
      AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
      AND NOT (SELECT yes FROM blocked)
    GROUP BY c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
             d.cost_kind, c.currency
), old AS (
    DELETE FROM finops.spend_daily
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT (SELECT yes FROM blocked)
    RETURNING provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows
), fine AS (
    INSERT INTO finops.spend_daily (provider, team_id, usage_date, project_id, model, model_family, token_kind,
                                    tier, cost_kind, currency, amount, rows)
    SELECT provider, team_id, usage_date, project_id, model, model_family, token_kind, tier, cost_kind, currency,
           amount, rows
    FROM new
    WHERE (SELECT count(*) FROM old) >= 0
), old_projects AS (
    DELETE FROM finops.spend_project_daily
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT (SELECT yes FROM blocked)
    RETURNING provider, team_id, usage_date, project_id, currency, amount, rows
), projects AS (
    INSERT INTO finops.spend_project_daily (provider, team_id, usage_date, project_id, currency, amount, rows)
    SELECT provider, team_id, usage_date, project_id, currency, sum(amount), sum(rows)
    FROM new
    WHERE (SELECT count(*) FROM old_projects) >= 0
    GROUP BY provider, team_id, usage_date, project_id, currency
    RETURNING provider, team_id, usage_date, project_id, currency, amount, rows
), months AS (
    INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
    SELECT provider, team_id, date_trunc('month', usage_date)::date, project_id, currency, sum(amount), sum(rows)
    FROM (
        SELECT provider, team_id, usage_date, project_id, currency, -amount, -rows FROM old_projects
        UNION ALL
        SELECT provider, team_id, usage_date, project_id, currency, amount, rows FROM projects
    ) AS both_sides (provider, team_id, usage_date, project_id, currency, amount, rows)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
    ON CONFLICT (provider, team_id, month, project_id, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
), change AS (
    SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency,
           sum(amount) AS amount, sum(rows)::integer AS rows
    FROM (
        SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, -amount, -rows
        FROM old
        UNION ALL
        SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows
        FROM new
    ) AS both_sides (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    GROUP BY provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
), models AS (
    INSERT INTO finops.spend_model_daily AS m
           (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows
    FROM change
    ORDER BY provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency
    ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
)
SELECT rows FROM models
UNION ALL
SELECT rows FROM months
UNION ALL
SELECT -1 FROM blocked WHERE yes;  -- the caller parses the new line items and runs the statement again
