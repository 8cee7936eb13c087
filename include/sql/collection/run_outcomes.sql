-- The last attempt of each team in a DAG run of one provider (run ids repeat across the two DAGs).
SELECT DISTINCT ON (team_id) team_id, status, error, rows, amount_total
FROM finops.collection_runs
WHERE dag_run_id = %(dag_run_id)s AND provider = %(provider)s
ORDER BY team_id, finished_at DESC, run_id DESC;
