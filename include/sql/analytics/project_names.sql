-- Project and workspace names known to the registry (the provider's name when verified, or the one given), for labels.
SELECT DISTINCT ON (project_id) project_id, name
FROM finops.projects
WHERE name IS NOT NULL AND name <> ''
ORDER BY project_id, active DESC, verified_at DESC NULLS LAST;
