SELECT team_id, provider, usage_date, sum(amount)
FROM finops.cost_data
WHERE usage_date BETWEEN %(first)s AND %(last)s
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
