-- Alerts not yet delivered through every configured channel, oldest first.
SELECT alert_id FROM finops.alerts WHERE delivered_at IS NULL ORDER BY alert_id LIMIT %(limit)s;
