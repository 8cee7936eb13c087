-- Usage rows that no recorded run of their team and provider loaded: written around the loader, or left by a run
-- that is gone. No foreign key checks them per row since migration 0022 (each load's run is checked once).
SELECT u.team_id, u.usage_date, u.project_id, u.endpoint, u.collection_run_id
FROM finops.usage_data u
LEFT JOIN finops.collection_runs r
  ON r.run_id = u.collection_run_id AND r.team_id = u.team_id AND r.provider = u.provider
WHERE u.provider = {provider} AND u.usage_date >= {window_start} AND u.usage_date < {window_end}
  AND ({team_ids} IS NULL OR u.team_id = ANY({team_ids}))
  AND r.run_id IS NULL
ORDER BY 1, 2, 3, 4
