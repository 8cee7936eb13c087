-- The team's streak, locked until the run's verdict on it is recorded (overlapping runs queue here).
SELECT status, reason, since, observed_until
FROM finops.collection_streaks
WHERE provider = %(provider)s AND team_id = %(team_id)s
FOR UPDATE;
