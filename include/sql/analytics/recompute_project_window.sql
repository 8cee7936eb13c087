-- A team window's project rollups recomputed from cost_data (repairs, tests; loads apply their change with
-- refresh_window.sql instead): the team's spend_project_daily days and spend_project_monthly months of the window.
-- Each rollup's groups are upserted with their fresh values and the groups no longer present deleted (disjoint
-- rows, so one statement does both). The caller holds the lock that keeps loads and batches out
-- (lock_model_daily.sql); spend_model_daily's days are recomputed by recompute_model_days.sql.
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
)
INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
SELECT * FROM fresh_months
ORDER BY month, project_id, currency
ON CONFLICT (provider, team_id, month, project_id, currency)
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
