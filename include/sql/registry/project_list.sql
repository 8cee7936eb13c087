-- Registered scopes (OpenAI project IDs, Anthropic workspace IDs); %(provider)s null means every provider.
SELECT team_id, provider, project_id, name, active, archived, verified_at, created_at, created_by
FROM finops.projects
WHERE (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
  AND (active OR %(include_removed)s)
ORDER BY team_id, provider, project_id;
