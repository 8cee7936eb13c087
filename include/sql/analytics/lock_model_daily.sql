-- Held by a recompute of the rollups (re-parse, repair) until it commits: loads and batches, which take ROW
-- EXCLUSIVE first (lock_rollups_for_load.sql), wait, so no change is applied to a group while it is being
-- recomputed, and no pending load's change is both recomputed and applied.
LOCK TABLE finops.spend_model_daily IN SHARE ROW EXCLUSIVE MODE;
