-- The FinOps page's spend per provider: cost per team, provider, currency and day over the last days (days with no rows omitted).
SELECT team_id, provider, currency, usage_date, sum(amount) AS amount
FROM finops.cost_data
WHERE usage_date BETWEEN %(last_day)s::date - (%(days)s - 1) AND %(last_day)s::date
  AND team_id = ANY(%(team_ids)s)
GROUP BY team_id, provider, currency, usage_date
ORDER BY team_id, provider, currency, usage_date;
