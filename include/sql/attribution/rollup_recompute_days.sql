-- The key rollups' groups of spend with no key on some days of a provider, over all teams, recomputed from
-- cost_data after a re-parse changed (or stored missing) line items of those days: their kind of cost is those
-- groups' (spend with a key and the unassigned project's do not depend on it, but are recomputed with them, one
-- statement). The days' months in spend_key_monthly are then summed again from spend_key_daily
-- (rollup_recompute_months.sql). The caller holds lock_model_daily.sql.
WITH fresh AS (
    SELECT c.provider, c.team_id, c.usage_date, c.project_id, c.api_key_id, c.allocated,
           CASE WHEN c.api_key_id IS NULL AND c.project_id <> 'unassigned' THEN COALESCE(d.cost_kind, 'other')
                ELSE '' END AS cost_kind,
           c.currency, sum(c.amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data AS c
    LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.usage_date = ANY (%(days)s::date[])
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
), stale AS (
    DELETE FROM finops.spend_key_daily AS k
    WHERE provider = %(provider)s AND usage_date = ANY (%(days)s::date[])
      AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.team_id = k.team_id AND f.usage_date = k.usage_date
                        AND f.project_id = k.project_id AND f.api_key_id IS NOT DISTINCT FROM k.api_key_id
                        AND f.allocated = k.allocated AND f.cost_kind = k.cost_kind AND f.currency = k.currency)
)
INSERT INTO finops.spend_key_daily AS k (provider, team_id, usage_date, project_id, api_key_id, allocated, cost_kind,
                                         currency, amount, rows)
SELECT * FROM fresh
ORDER BY team_id, usage_date, project_id, api_key_id, allocated, cost_kind, currency
ON CONFLICT ON CONSTRAINT spend_key_daily_group
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
