-- A team's window deleted before its rows are copied in again. Returns what the deleted rows contributed to
-- the rollups (finops.analytics.rollups.after_load subtracts it, and adds the new rows'), summed at the two
-- grains the change is applied at, so the answer is bounded by days, not rows:
--   grain 'p': day, project, currency (spend_project_daily; model columns null);
--   grain 'm': day, model, model family, token kind, tier, kind of cost, currency (spend_model_daily).
WITH gone AS (
    DELETE FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    RETURNING usage_date, project_id, line_item, currency, amount
)
SELECT 'p' AS grain, usage_date, project_id, NULL AS model, NULL AS model_family, NULL AS token_kind, NULL AS tier,
       NULL AS cost_kind, currency, sum(amount) AS amount, count(*)::integer AS rows
FROM gone
GROUP BY usage_date, project_id, currency
UNION ALL
SELECT 'm', g.usage_date, NULL, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, g.currency,
       sum(g.amount), count(*)::integer
FROM gone AS g
JOIN finops.line_items AS d ON d.provider = %(provider)s AND d.line_item = g.line_item
GROUP BY g.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, g.currency;
