-- The run of a load, pending until its change to the rollups is applied (in the same transaction or by its task's
-- batch right after; finops.analytics.rollups).
WITH run AS (
    INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, dag_run_id, started_at)
    VALUES (%(provider)s, %(team_id)s, %(window_start)s, %(window_end)s, 'success', %(dag_run_id)s, %(started_at)s)
    RETURNING run_id
), pending AS (
    INSERT INTO finops.rollup_pending (run_id) SELECT run_id FROM run
)
SELECT run_id FROM run;
