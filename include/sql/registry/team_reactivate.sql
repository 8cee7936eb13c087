UPDATE finops.teams
SET active = true, name = coalesce(%(name)s, name), deactivated_at = NULL, deactivated_by = NULL
WHERE team_id = %(team_id)s AND NOT active
RETURNING team_id, name, active, created_at, created_by;
