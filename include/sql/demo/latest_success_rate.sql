SELECT success_rate, teams_succeeded, teams_total, threshold
FROM finops.success_rates
ORDER BY computed_at DESC
LIMIT 1;
