-- A batch claims the runs whose changes it is about to apply (finops.analytics.rollups.apply_changes). A run a
-- recompute claimed first (its groups recomputed from cost_data) is not returned, and its change is dropped.
DELETE FROM finops.rollup_pending
WHERE run_id = ANY (%(run_ids)s::bigint[])
RETURNING run_id;
