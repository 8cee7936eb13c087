-- Teams whose latest attempt in this DAG run for this window succeeded (skipped by a retry of a
-- batched task within one try sequence; a Clear starts a new sequence, which skips nothing).
SELECT team_id
FROM (
    SELECT DISTINCT ON (team_id) team_id, status
    FROM finops.collection_runs
    WHERE dag_run_id = %(dag_run_id)s AND provider = %(provider)s
      AND window_start = %(window_start)s AND window_end = %(window_end)s
    ORDER BY team_id, finished_at DESC, run_id DESC
) last_attempt
WHERE status = 'success';
