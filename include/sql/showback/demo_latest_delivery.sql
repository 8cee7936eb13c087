-- The demo's latest digest (or statement) of a team, to print.
SELECT period, message
FROM finops.team_deliveries
WHERE kind = %(kind)s AND team_id = %(team_id)s
ORDER BY delivery_id DESC
LIMIT 1;
