-- Daily spend per team, provider, project and line item on [start_date, end_date) (the model comes from the line item).
SELECT team_id, provider::text AS provider, project_id, usage_date, currency, line_item, sum(amount) AS amount
FROM finops.cost_data
WHERE usage_date >= %(start_date)s AND usage_date < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
GROUP BY team_id, provider, project_id, usage_date, currency, line_item
ORDER BY team_id, provider, project_id, usage_date, currency, line_item;
