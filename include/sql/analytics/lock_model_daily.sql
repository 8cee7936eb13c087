-- Held by a recompute of the rollups (rebuild, re-parse, repair) from before it reads anything until it commits:
-- loads and batches, which take ROW EXCLUSIVE first (lock_rollups_for_load.sql), wait, so what the recompute reads
-- (cost rows, line items, pending loads) stays as read, no change is applied to a group while it is being
-- recomputed, and no pending load's change is both recomputed and applied.
LOCK TABLE finops.spend_model_daily IN SHARE ROW EXCLUSIVE MODE;
