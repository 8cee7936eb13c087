-- A team's longer window (a backfill, a range) deleted before its rows are copied in again. Returns what the
-- deleted rows contributed to the rollups, summed per group (finops.analytics.rollups.deleted_sums), so the answer
-- is bounded by days, not rows (a short window returns its rows: delete_window.sql):
--   'p': day, project, currency, amount, rows;
--   'i': day, line item, currency, amount, rows;
--   'k': day, project, currency, amount, rows, then API key, allocated and line item ('' for a key's rows: the
--        key rollup's group, finops.analytics.rollups.key_group).
WITH gone AS (
    DELETE FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    RETURNING usage_date, project_id, line_item, currency, amount, api_key_id, allocated
)
SELECT 'p' AS grain, usage_date, project_id AS key, currency, sum(amount) AS amount, count(*)::integer AS rows,
       NULL::text AS api_key_id, NULL::boolean AS allocated, NULL::text AS key_line_item
FROM gone
GROUP BY usage_date, project_id, currency
UNION ALL
SELECT 'i', usage_date, line_item, currency, sum(amount), count(*)::integer, NULL, NULL, NULL
FROM gone
GROUP BY usage_date, line_item, currency
UNION ALL
SELECT 'k', usage_date, project_id, currency, sum(amount), count(*)::integer, api_key_id, allocated,
       CASE WHEN api_key_id IS NULL AND project_id <> 'unassigned' THEN line_item ELSE '' END
FROM gone
GROUP BY 2, 3, 4, 7, 8, 9;
