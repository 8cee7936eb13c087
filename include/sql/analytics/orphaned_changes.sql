-- Pending runs no batch will apply: a task's earlier try that died after loading these teams (its retry skips
-- them), or any run still pending an hour after it finished (its task is gone). Uses the partial index.
SELECT count(*)
FROM finops.collection_runs
WHERE rollups_pending
  AND ((provider = %(provider)s AND dag_run_id = %(dag_run_id)s AND team_id = ANY (%(team_ids)s::text[]))
       OR finished_at < now() - interval '1 hour');
