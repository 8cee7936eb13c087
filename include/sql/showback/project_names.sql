-- A team's project (workspace) names per provider, for the digest's labels.
SELECT provider::text, project_id, name
FROM finops.projects
WHERE team_id = %(team_id)s AND name IS NOT NULL AND name <> '';
