-- The changes of one scope (team, provider or all, project or all) still in force.
SELECT budget_id, team_id, provider::text AS provider, project_id, valid_from, amount, currency, thresholds,
       created_at, created_by, cancelled_at
FROM finops.budgets
WHERE team_id = %(team_id)s
  AND provider IS NOT DISTINCT FROM %(provider)s::finops.provider
  AND project_id IS NOT DISTINCT FROM %(project_id)s
  AND cancelled_at IS NULL
ORDER BY valid_from, budget_id;
