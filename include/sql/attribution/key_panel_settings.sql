-- For key_panel.sql, the rest of the page's transaction only: its per-key sums (a month of 1,000 teams with 20 keys
-- a project: about 25,000 rollup rows) hash in memory instead of spilling to disk, and no JIT compilation (the
-- planner's estimate of the daily ranges made it compile for ~100 ms a read that runs in less).
SET LOCAL work_mem = '64MB';
SET LOCAL jit = off;
