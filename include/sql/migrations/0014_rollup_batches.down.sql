-- Going back to loads that apply their own change: pending changes are recomputed first (`finops report
-- --rebuild-rollups` after the downgrade, as docs/analytics.md says), then the column goes.
DROP INDEX IF EXISTS finops.collection_runs_rollups_pending;
ALTER TABLE finops.collection_runs DROP COLUMN IF EXISTS rollups_pending;
