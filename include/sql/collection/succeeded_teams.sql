-- Teams already collected by this DAG run for this window (skipped when a batch task is retried).
SELECT DISTINCT team_id
FROM finops.collection_runs
WHERE dag_run_id = %(dag_run_id)s AND status = 'success'
  AND window_start = %(window_start)s AND window_end = %(window_end)s;
