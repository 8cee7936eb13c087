-- Daily spend per team, provider and project on [start_date, end_date), of some teams or all.
SELECT team_id, provider::text AS provider, project_id, usage_date, currency, sum(amount) AS amount
FROM finops.cost_data
WHERE usage_date >= %(start_date)s AND usage_date < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
GROUP BY team_id, provider, project_id, usage_date, currency
ORDER BY team_id, provider, project_id, usage_date, currency;
