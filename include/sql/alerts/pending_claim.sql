-- Claim one pending alert for this delivery pass; another pass skips it instead of sending it twice.
SELECT alert_id, kind, team_id, provider, scope, period, threshold, value, baseline, budget, message, details,
       created_at, channels, attempts
FROM finops.alerts
WHERE alert_id = %(alert_id)s AND delivered_at IS NULL
FOR UPDATE SKIP LOCKED;
