-- A team's spend per currency in [start, end): the month to date of a digest.
SELECT currency, sum(amount) AS amount
FROM finops.cost_data
WHERE team_id = %(team_id)s AND usage_date >= %(start)s AND usage_date < %(end)s
GROUP BY currency
ORDER BY currency;
