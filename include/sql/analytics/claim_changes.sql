-- A batch claims the runs whose changes it is about to apply (finops.analytics.rollups.apply_changes). A run a
-- recompute claimed first (its groups recomputed from cost_data) is not returned, and its change is dropped.
UPDATE finops.collection_runs
SET rollups_pending = false
WHERE run_id = ANY (%(run_ids)s::bigint[]) AND rollups_pending
RETURNING run_id;
