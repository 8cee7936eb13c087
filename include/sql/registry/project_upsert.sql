-- A removed scope registered again becomes active; an active one is left alone (no row returned).
INSERT INTO finops.projects (team_id, provider, project_id, name, archived, verified_at, created_by)
VALUES (%(team_id)s, %(provider)s, %(project_id)s, %(name)s, %(archived)s, CASE WHEN %(verified)s THEN now() END, %(actor)s)
ON CONFLICT (team_id, provider, project_id) DO UPDATE
SET active = true, name = coalesce(EXCLUDED.name, finops.projects.name), archived = EXCLUDED.archived,
    verified_at = coalesce(EXCLUDED.verified_at, finops.projects.verified_at),
    removed_at = NULL, removed_by = NULL, created_at = now(), created_by = EXCLUDED.created_by
WHERE NOT finops.projects.active
RETURNING team_id, provider, project_id, name, active, archived, verified_at, created_at, created_by;
