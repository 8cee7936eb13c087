-- A team's longer window (a backfill, a range) deleted before its rows are copied in again. Returns what the
-- deleted rows contributed to the rollups, summed per group (finops.analytics.rollups.deleted_sums), so the answer
-- is bounded by days, not rows (a short window returns its rows: delete_window.sql):
--   'p': day, project, currency, amount, rows;
--   'i': day, line item, currency, amount, rows.
WITH gone AS (
    DELETE FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    RETURNING usage_date, project_id, line_item, currency, amount
)
SELECT 'p' AS grain, usage_date, project_id AS key, currency, sum(amount) AS amount, count(*)::integer AS rows
FROM gone
GROUP BY usage_date, project_id, currency
UNION ALL
SELECT 'i', usage_date, line_item, currency, sum(amount), count(*)::integer
FROM gone
GROUP BY usage_date, line_item, currency;
