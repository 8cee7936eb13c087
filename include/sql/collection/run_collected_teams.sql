-- The teams whose last attempt in this DAG run succeeded, with what it loaded (the Asset event's extra).
SELECT team_id, rows, amount_total
FROM (
    SELECT DISTINCT ON (team_id) team_id, status, rows, amount_total
    FROM finops.collection_runs
    WHERE dag_run_id = %(dag_run_id)s AND provider = %(provider)s
      AND window_start = %(window_start)s AND window_end = %(window_end)s
    ORDER BY team_id, finished_at DESC, run_id DESC
) last_attempt
WHERE status = 'success'
ORDER BY team_id;
