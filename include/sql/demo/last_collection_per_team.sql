SELECT team_id, status, rows, pages, requests, retries, coalesce(error, '')
FROM finops.collection_runs
WHERE run_id IN (SELECT max(run_id) FROM finops.collection_runs GROUP BY team_id)
ORDER BY team_id;
