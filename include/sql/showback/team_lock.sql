SELECT team_id, name, active
FROM finops.teams
WHERE team_id = %(team_id)s
FOR UPDATE;
