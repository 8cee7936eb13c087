INSERT INTO finops.teams (team_id, name, created_by)
VALUES (%(team_id)s, %(name)s, %(actor)s)
ON CONFLICT (team_id) DO NOTHING
RETURNING team_id, name, active, created_at, created_by;
