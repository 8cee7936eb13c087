-- Back to loads that apply their own change. A change still waiting for its batch (a collection running during
-- the downgrade) is lost with the table: run `finops report --rebuild-rollups` after downgrading past this.
DROP TABLE IF EXISTS finops.rollup_pending;
