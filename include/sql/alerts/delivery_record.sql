-- The outcome of one delivery attempt: channels that delivered so far, the errors of the others.
UPDATE finops.alerts
SET channels = %(channels)s, delivery_errors = %(errors)s, attempts = attempts + 1,
    last_attempt_at = clock_timestamp(), delivered_at = CASE WHEN %(delivered)s THEN clock_timestamp() END
WHERE alert_id = %(alert_id)s;
