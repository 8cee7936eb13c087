-- The bench teams' cost rows of [start, end) as CostRow fields (what the Costs API would return again).
SELECT team_id, usage_date, project_id, line_item, currency, amount, quantity, quantity_unit, organization_id
FROM finops.cost_data
WHERE team_id = ANY (%(teams)s::text[]) AND usage_date >= %(start)s AND usage_date < %(end)s
ORDER BY team_id, usage_date, project_id, line_item, currency;
