-- Enough memory for page_segments.sql's team-day sums (1,000 teams: about 120,000 rows) to hash in memory instead
-- of sorting on disk (bench page: 1.3 s -> 0.86 s); for the rest of the page's transaction only.
SET LOCAL work_mem = '64MB'
