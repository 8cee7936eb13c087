-- The FinOps page's spend chart: cost per team, currency and day over the last days (days with no rows omitted).
SELECT team_id, currency, usage_date, sum(amount) AS amount
FROM finops.cost_data
WHERE usage_date BETWEEN %(last_day)s::date - (%(days)s - 1) AND %(last_day)s::date
  AND team_id = ANY(%(team_ids)s)
GROUP BY team_id, currency, usage_date
ORDER BY team_id, currency, usage_date;
