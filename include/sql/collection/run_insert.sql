INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, dag_run_id, started_at)
VALUES (%(provider)s, %(team_id)s, %(window_start)s, %(window_end)s, 'success', %(dag_run_id)s, %(started_at)s)
RETURNING run_id;
