SELECT team_id, provider, status, rows, pages, requests, retries, coalesce(error, '')
FROM finops.collection_runs
WHERE run_id IN (SELECT max(run_id) FROM finops.collection_runs GROUP BY team_id, provider)
ORDER BY team_id, provider;
