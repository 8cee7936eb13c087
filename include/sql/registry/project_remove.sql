UPDATE finops.projects
SET active = false, removed_at = now(), removed_by = %(actor)s
WHERE team_id = %(team_id)s AND provider = %(provider)s AND project_id = %(project_id)s AND active;
