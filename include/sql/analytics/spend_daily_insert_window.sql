-- A team window's cost rows grouped into the daily rollup through their line items' dimensions.
INSERT INTO finops.spend_daily (provider, team_id, usage_date, project_id, model, model_family, token_kind, tier,
                                cost_kind, currency, amount, rows)
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, sum(c.amount), count(*)
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
  AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
GROUP BY c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
         d.cost_kind, c.currency;
