-- Whether the project was ever registered for the team (a removed project still has costs).
SELECT EXISTS (
    SELECT 1 FROM finops.projects
    WHERE team_id = %(team_id)s AND provider = %(provider)s::finops.provider AND project_id = %(project_id)s
);
