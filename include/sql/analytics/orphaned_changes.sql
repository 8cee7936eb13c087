-- Pending runs no batch will apply: a task's earlier try that died after loading these teams (its retry skips
-- them; team_ids NULL: every team of the DAG run, once all its collect_team tasks are done), or any run still
-- pending an hour after it finished (its task is gone). rollup_pending holds a few rows.
SELECT count(*)
FROM finops.rollup_pending
JOIN finops.collection_runs AS r USING (run_id)
WHERE (r.provider = %(provider)s AND r.dag_run_id = %(dag_run_id)s
       AND (%(team_ids)s::text[] IS NULL OR r.team_id = ANY (%(team_ids)s::text[])))
   OR r.finished_at < now() - interval '1 hour';
