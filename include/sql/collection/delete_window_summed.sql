-- A team's longer window (a backfill, a range) deleted before its rows are copied in again. Returns what the
-- deleted rows contributed to the rollups, summed per group (finops.analytics.rollups.deleted_sums), so the answer
-- is bounded by days, not rows (a short window returns its rows: delete_window.sql):
--   'p': day, project, currency, amount, rows;
--   'i': day, line item, currency, amount, rows;
--   'k': day, project, currency, amount, rows, then API key, allocated, and for spend with no key outside
--        'unassigned' its line items' kind of cost as stored (else ''), or the line item when line_items has none
--        (parsed by finops.analytics.rollups.CostKinds): the key rollups' groups.
WITH gone AS (
    DELETE FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    RETURNING usage_date, project_id, line_item, currency, amount, api_key_id, allocated
)
SELECT 'p' AS grain, usage_date, project_id AS key, currency, sum(amount) AS amount, count(*)::integer AS rows,
       NULL::text AS api_key_id, NULL::boolean AS allocated, NULL::text AS cost_kind, NULL::text AS unstored
FROM gone
GROUP BY usage_date, project_id, currency
UNION ALL
SELECT 'i', usage_date, line_item, currency, sum(amount), count(*)::integer, NULL, NULL, NULL, NULL
FROM gone
GROUP BY usage_date, line_item, currency
UNION ALL
SELECT 'k', g.usage_date, g.project_id, g.currency, sum(g.amount), count(*)::integer, g.api_key_id, g.allocated,
       CASE WHEN g.api_key_id IS NULL AND g.project_id <> 'unassigned' THEN COALESCE(d.cost_kind, '') ELSE '' END,
       CASE WHEN g.api_key_id IS NULL AND g.project_id <> 'unassigned' AND d.line_item IS NULL THEN g.line_item END
FROM gone AS g
LEFT JOIN finops.line_items AS d ON g.api_key_id IS NULL AND d.provider = %(provider)s AND d.line_item = g.line_item
GROUP BY 2, 3, 4, 7, 8, 9, 10;
