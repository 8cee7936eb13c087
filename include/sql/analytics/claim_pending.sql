-- A recompute (repair, re-parse, rebuild, a batch bringing a line item without dimensions) claims every pending
-- run, under the lock that keeps loads and batches out (lock_model_daily.sql): their changes are recomputed from
-- cost_data instead of applied by their batch.
WITH claimed AS (
    DELETE FROM finops.rollup_pending RETURNING run_id
)
SELECT run_id, r.provider::text, r.team_id, r.window_start, r.window_end
FROM claimed
JOIN finops.collection_runs AS r USING (run_id);
