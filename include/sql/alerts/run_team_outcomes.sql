-- The last attempt of each team of one provider in a DAG run.
SELECT DISTINCT ON (team_id) team_id, status, error
FROM finops.collection_runs
WHERE provider = %(provider)s AND dag_run_id = %(dag_run_id)s
ORDER BY team_id, finished_at DESC, run_id DESC;
