-- What the kept analytics warehouse holds: cost rows, bench teams with rows, first and last day.
SELECT count(*), count(DISTINCT team_id), min(usage_date), max(usage_date)
FROM finops.cost_data;
