-- A team window's key rollups recomputed from cost_data (a repair, a recompute's claimed loads; loads apply their
-- change with rollup_refresh.sql instead): the team's spend_key_daily days and spend_key_monthly months of the
-- window. Fresh groups upserted, groups no longer present deleted. The caller holds lock_model_daily.sql and has
-- stored the window's line items (their kind of cost is the group's for spend with no key).
WITH fresh_days AS (
    SELECT c.provider, c.team_id, c.usage_date, c.project_id, c.api_key_id, c.allocated,
           CASE WHEN c.api_key_id IS NULL AND c.project_id <> 'unassigned' THEN COALESCE(d.cost_kind, 'other')
                ELSE '' END AS cost_kind,
           c.currency, sum(c.amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data AS c
    LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
      AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
), stale_days AS (
    DELETE FROM finops.spend_key_daily AS k
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_days AS f WHERE f.usage_date = k.usage_date
                        AND f.project_id = k.project_id AND f.api_key_id IS NOT DISTINCT FROM k.api_key_id
                        AND f.allocated = k.allocated AND f.cost_kind = k.cost_kind AND f.currency = k.currency)
), days AS (
    INSERT INTO finops.spend_key_daily AS k (provider, team_id, usage_date, project_id, api_key_id, allocated,
                                             cost_kind, currency, amount, rows)
    SELECT * FROM fresh_days
    ORDER BY team_id, usage_date, project_id, api_key_id, allocated, cost_kind, currency
    ON CONFLICT ON CONSTRAINT spend_key_daily_group
    DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows
), fresh_months AS (
    SELECT c.provider, c.team_id, date_trunc('month', c.usage_date)::date AS month, c.project_id, c.api_key_id,
           c.allocated,
           CASE WHEN c.api_key_id IS NULL AND c.project_id <> 'unassigned' THEN COALESCE(d.cost_kind, 'other')
                ELSE '' END AS cost_kind,
           c.currency, sum(c.amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data AS c
    LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
      AND c.usage_date >= date_trunc('month', %(window_start)s::date)
      AND c.usage_date < date_trunc('month', %(window_end)s::date - 1) + interval '1 month'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
), stale_months AS (
    DELETE FROM finops.spend_key_monthly AS k
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND month >= date_trunc('month', %(window_start)s::date) AND month < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh_months AS f WHERE f.month = k.month
                        AND f.project_id = k.project_id AND f.api_key_id IS NOT DISTINCT FROM k.api_key_id
                        AND f.allocated = k.allocated AND f.cost_kind = k.cost_kind AND f.currency = k.currency)
)
INSERT INTO finops.spend_key_monthly AS k (provider, team_id, month, project_id, api_key_id, allocated, cost_kind,
                                           currency, amount, rows)
SELECT * FROM fresh_months
ORDER BY month, team_id, project_id, api_key_id, allocated, cost_kind, currency
ON CONFLICT ON CONSTRAINT spend_key_monthly_group
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
