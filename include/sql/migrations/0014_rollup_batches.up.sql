-- A successful load's change to the rollups is applied right after it, in a batch with the next loads of the same
-- collect_team task (finops.analytics.rollups.RollupBatch): until then its run is listed here. A batch applies only
-- the runs it can still claim (deletes from here), and a recompute (repair, re-parse) claims every listed run and
-- recomputes its groups, so each load's change counts exactly once. A table of its own, a few rows at any time:
-- a flag on collection_runs made each claim rewrite the run's entries in its six indexes. Runs loaded before this
-- migration were applied by their own transaction.
CREATE TABLE finops.rollup_pending (
    run_id bigint PRIMARY KEY REFERENCES finops.collection_runs (run_id) ON DELETE CASCADE
);
