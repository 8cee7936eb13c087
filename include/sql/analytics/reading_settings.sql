-- For the analytics reads of this transaction: period aggregates hashed in memory instead of sorted on disk
-- (a month of 1,000 teams' project rollups is ~90,000 rows; 4 MB of work_mem spilled them to disk).
SET LOCAL work_mem = '64MB';
