-- A team's recent weekly digests, newest first, with how their delivery went (the team page's list).
SELECT period, subject, message, details, created_at, delivered_at, channels, delivery_errors, attempts
FROM finops.team_deliveries
WHERE kind = 'digest' AND team_id = %(team_id)s
ORDER BY period DESC
LIMIT %(limit)s;
