-- The team's alerts recorded in the digest's week (collection, budget, forecast, anomaly).
SELECT kind, message, created_at
FROM finops.alerts
WHERE team_id = %(team_id)s AND created_at >= %(start)s AND created_at < %(end)s
ORDER BY created_at, alert_id;
