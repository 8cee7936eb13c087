UPDATE finops.teams
SET active = false, deactivated_at = now(), deactivated_by = %(actor)s
WHERE team_id = %(team_id)s AND active;
