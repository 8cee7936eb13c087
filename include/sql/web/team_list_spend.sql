-- The team list's spend per team and currency: the last days and the month to date (the project rollup equals cost_data).
SELECT team_id, currency,
       coalesce(sum(amount) FILTER (WHERE usage_date >= %(since)s), 0) AS last_days,
       coalesce(sum(amount) FILTER (WHERE usage_date >= %(month_start)s), 0) AS month_to_date
FROM finops.spend_project_daily
WHERE usage_date >= least(%(since)s::date, %(month_start)s::date) AND usage_date <= %(today)s
GROUP BY team_id, currency;
