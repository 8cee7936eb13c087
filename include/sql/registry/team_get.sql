SELECT team_id, name, active, created_at, created_by
FROM finops.teams
WHERE team_id = %(team_id)s;
