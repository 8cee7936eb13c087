-- spend_key_monthly's months of a provider summed again from spend_key_daily, over all teams (after
-- rollup_recompute_days.sql, in the same transaction and lock).
WITH fresh AS (
    SELECT provider, team_id, date_trunc('month', usage_date)::date AS month, project_id, api_key_id, allocated,
           cost_kind, currency, sum(amount) AS amount, sum(rows)::integer AS rows
    FROM finops.spend_key_daily
    WHERE provider = %(provider)s AND date_trunc('month', usage_date)::date = ANY (%(months)s::date[])
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
), stale AS (
    DELETE FROM finops.spend_key_monthly AS k
    WHERE provider = %(provider)s AND month = ANY (%(months)s::date[])
      AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.team_id = k.team_id AND f.month = k.month
                        AND f.project_id = k.project_id AND f.api_key_id IS NOT DISTINCT FROM k.api_key_id
                        AND f.allocated = k.allocated AND f.cost_kind = k.cost_kind AND f.currency = k.currency)
)
INSERT INTO finops.spend_key_monthly AS k (provider, team_id, month, project_id, api_key_id, allocated, cost_kind,
                                           currency, amount, rows)
SELECT * FROM fresh
ORDER BY month, team_id, project_id, api_key_id, allocated, cost_kind, currency
ON CONFLICT ON CONSTRAINT spend_key_monthly_group
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
