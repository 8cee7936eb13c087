-- The outcome of one attempt: channels that took it so far, the errors of the others.
UPDATE finops.team_deliveries
SET channels = %(channels)s, delivery_errors = %(errors)s, attempts = attempts + 1,
    last_attempt_at = clock_timestamp(), delivered_at = CASE WHEN %(delivered)s THEN clock_timestamp() END
WHERE delivery_id = %(delivery_id)s;
