-- The latest success rate of each provider's collection DAG.
SELECT DISTINCT ON (provider) provider, success_rate, teams_succeeded, teams_total, threshold
FROM finops.success_rates
ORDER BY provider, computed_at DESC;
