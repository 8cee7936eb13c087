-- Claim one pending delivery for this pass; another pass skips it instead of sending it twice.
SELECT delivery_id, kind, team_id, period, subject, message, details, created_at, channels, attempts
FROM finops.team_deliveries
WHERE delivery_id = %(delivery_id)s AND delivered_at IS NULL
FOR UPDATE SKIP LOCKED;
