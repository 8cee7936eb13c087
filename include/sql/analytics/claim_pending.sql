-- A recompute (repair, re-parse, rebuild) claims every pending run, under the lock that keeps loads and batches
-- out (lock_model_daily.sql): their changes are recomputed from cost_data instead of applied by their batch.
UPDATE finops.collection_runs
SET rollups_pending = false
WHERE rollups_pending
RETURNING provider::text, team_id, window_start, window_end;
