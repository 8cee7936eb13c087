-- A team window's key rollups recomputed from cost_data (a repair, a recompute's claimed loads; loads apply their
-- change with rollup_refresh.sql instead): the team's spend_key_daily days and spend_key_monthly months of the
-- window. Fresh groups upserted, groups no longer present deleted. The caller holds lock_model_daily.sql.
WITH fresh_days AS (
    SELECT provider, team_id, usage_date, project_id, api_key_id, allocated,
           CASE WHEN api_key_id IS NULL AND project_id <> 'unassigned' THEN line_item ELSE '' END AS line_item,
           currency, sum(amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
), stale_days AS (
    DELETE FROM finops.spend_key_daily AS k
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_days AS f WHERE f.usage_date = k.usage_date
                        AND f.project_id = k.project_id AND f.api_key_id IS NOT DISTINCT FROM k.api_key_id
                        AND f.allocated = k.allocated AND f.line_item = k.line_item AND f.currency = k.currency)
), days AS (
    INSERT INTO finops.spend_key_daily AS k (provider, team_id, usage_date, project_id, api_key_id, allocated,
                                             line_item, currency, amount, rows)
    SELECT * FROM fresh_days
    ORDER BY team_id, usage_date, project_id, api_key_id, allocated, line_item, currency
    ON CONFLICT ON CONSTRAINT spend_key_daily_group
    DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows
), fresh_months AS (
    SELECT provider, team_id, date_trunc('month', usage_date)::date AS month, project_id, api_key_id, allocated,
           CASE WHEN api_key_id IS NULL AND project_id <> 'unassigned' THEN line_item ELSE '' END AS line_item,
           currency, sum(amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= date_trunc('month', %(window_start)s::date)
      AND usage_date < date_trunc('month', %(window_end)s::date - 1) + interval '1 month'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
), stale_months AS (
    DELETE FROM finops.spend_key_monthly AS k
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND month >= date_trunc('month', %(window_start)s::date) AND month < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_months AS f WHERE f.month = k.month
                        AND f.project_id = k.project_id AND f.api_key_id IS NOT DISTINCT FROM k.api_key_id
                        AND f.allocated = k.allocated AND f.line_item = k.line_item AND f.currency = k.currency)
)
INSERT INTO finops.spend_key_monthly AS k (provider, team_id, month, project_id, api_key_id, allocated, line_item,
                                           currency, amount, rows)
SELECT * FROM fresh_months
ORDER BY month, team_id, project_id, api_key_id, allocated, line_item, currency
ON CONFLICT ON CONSTRAINT spend_key_monthly_group
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
