-- A successful load's change to the rollups is applied right after it, in a batch with the next loads of the same
-- collect_team task (finops.analytics.rollups.RollupBatch): until then its run is pending. A batch applies only the
-- runs it can still claim (pending -> not pending), and a recompute (repair, re-parse) claims every pending run and
-- recomputes its groups, so each load's change counts exactly once. Runs loaded before this migration were applied
-- by their own transaction.
ALTER TABLE finops.collection_runs ADD COLUMN rollups_pending boolean NOT NULL DEFAULT false;
CREATE INDEX collection_runs_rollups_pending ON finops.collection_runs (run_id) WHERE rollups_pending;
