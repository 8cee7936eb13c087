-- A team window's rollups recomputed from cost_data (refresh_rollups: repairs, tests; loads apply their change
-- with refresh_window.sql instead): the team's spend_project_daily days and spend_project_monthly months of the
-- window, and spend_model_daily's days of the window over all teams. Each rollup's groups are upserted with
-- their fresh values and the groups no longer present deleted (disjoint rows, so one statement does both).
-- The caller holds the team's lock and a SHARE ROW EXCLUSIVE lock on spend_model_daily, so no load changes
-- these groups meanwhile.
WITH fresh_projects AS (
    SELECT provider, team_id, usage_date, project_id, currency, sum(amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    GROUP BY provider, team_id, usage_date, project_id, currency
), stale_projects AS (
    DELETE FROM finops.spend_project_daily AS p
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_projects AS f WHERE f.usage_date = p.usage_date
                        AND f.project_id = p.project_id AND f.currency = p.currency)
), projects AS (
    INSERT INTO finops.spend_project_daily AS p (provider, team_id, usage_date, project_id, currency, amount, rows)
    SELECT * FROM fresh_projects
    ORDER BY usage_date, project_id, currency
    ON CONFLICT (provider, team_id, usage_date, project_id, currency)
    DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows
), fresh_months AS (
    SELECT provider, team_id, date_trunc('month', usage_date)::date AS month, project_id, currency,
           sum(amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= date_trunc('month', %(window_start)s::date)
      AND usage_date < date_trunc('month', %(window_end)s::date - 1) + interval '1 month'
    GROUP BY 1, 2, 3, 4, 5
), stale_months AS (
    DELETE FROM finops.spend_project_monthly AS m
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND month >= date_trunc('month', %(window_start)s::date) AND month < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_months AS f WHERE f.month = m.month
                        AND f.project_id = m.project_id AND f.currency = m.currency)
), months AS (
    INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
    SELECT * FROM fresh_months
    ORDER BY month, project_id, currency
    ON CONFLICT (provider, team_id, month, project_id, currency)
    DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows
), fresh_models AS (
    SELECT c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency,
           sum(c.amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data AS c
    JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
    GROUP BY c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency
), stale_models AS (
    DELETE FROM finops.spend_model_daily AS m
    WHERE provider = %(provider)s AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_models AS f WHERE f.usage_date = m.usage_date
                        AND f.model IS NOT DISTINCT FROM m.model AND f.model_family IS NOT DISTINCT FROM m.model_family
                        AND f.token_kind IS NOT DISTINCT FROM m.token_kind AND f.tier = m.tier
                        AND f.cost_kind = m.cost_kind AND f.currency = m.currency)
)
INSERT INTO finops.spend_model_daily AS m
       (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
SELECT * FROM fresh_models
ORDER BY usage_date, model, model_family, token_kind, tier, cost_kind, currency
ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
