-- Enough memory for usage_quantity_mismatch.sql's sums (1,000 teams x 3 days: about 500,000 groups a side) to hash
-- in memory instead of sorting on disk (100 teams: 2.5 s -> 1.2 s with the sums taken per row group first); for the
-- reconciliation's transaction only.
SET LOCAL work_mem = '128MB'
