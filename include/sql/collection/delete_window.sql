-- A team's window deleted before its rows are copied in again. Returns what the deleted rows contributed to
-- the rollups, which finops.analytics.rollups.after_load turns into the load's change (new sums minus these),
-- summed per group, so the answer is bounded by days, not rows:
--   'p': day, project, currency, amount, rows;
--   'i': day, line item, currency, amount, rows;
--   'd': a line item of the old rows or of %(new_items)s with its parsed dimensions (none: not parsed yet).
WITH gone AS (
    DELETE FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    RETURNING usage_date, project_id, line_item, currency, amount
)
SELECT 'p' AS grain, usage_date, project_id AS key, currency, sum(amount) AS amount, count(*)::integer AS rows,
       NULL AS model, NULL AS model_family, NULL AS token_kind, NULL AS tier, NULL AS cost_kind
FROM gone
GROUP BY usage_date, project_id, currency
UNION ALL
SELECT 'i', usage_date, line_item, currency, sum(amount), count(*)::integer, NULL, NULL, NULL, NULL, NULL
FROM gone
GROUP BY usage_date, line_item, currency
UNION ALL
SELECT 'd', NULL, d.line_item, NULL, NULL, NULL, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind
FROM finops.line_items AS d
WHERE d.provider = %(provider)s
  AND d.line_item IN (SELECT line_item FROM gone UNION SELECT unnest(%(new_items)s::text[]));
