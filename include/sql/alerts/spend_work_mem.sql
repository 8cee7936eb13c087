-- Enough memory for the day sums of 1,000 teams to hash in memory instead of sorting on disk (bench alerts_dag).
SET LOCAL work_mem = '64MB'
