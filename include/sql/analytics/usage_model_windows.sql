-- The windows of some loads (their collection runs): the team windows whose usage_model_daily rows their batch
-- recomputes.
SELECT DISTINCT provider::text, team_id, window_start, window_end
FROM finops.collection_runs
WHERE run_id = ANY (%(run_ids)s::bigint[])
ORDER BY 1, 2, 3, 4;
