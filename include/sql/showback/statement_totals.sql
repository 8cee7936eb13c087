-- The month's totals per currency straight from cost_data: what a statement's lines must add up to.
SELECT currency, sum(amount) AS amount
FROM finops.cost_data
WHERE team_id = %(team_id)s AND usage_date >= %(start)s AND usage_date < %(end)s
GROUP BY currency
ORDER BY currency;
