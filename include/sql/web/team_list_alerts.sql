-- The team list's alerts per team raised since the start of the month.
SELECT team_id, count(*) AS alerts
FROM finops.alerts
WHERE team_id IS NOT NULL AND created_at >= %(month_start)s
GROUP BY team_id;
