-- Every change of every budget (of one team when team_id is set), oldest first; cancelled ones on request.
SELECT budget_id, team_id, provider::text AS provider, project_id, valid_from, amount, currency, thresholds,
       created_at, created_by, cancelled_at
FROM finops.budgets
WHERE (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
  AND (cancelled_at IS NULL OR %(include_cancelled)s)
ORDER BY team_id, provider NULLS FIRST, project_id NULLS FIRST, valid_from, budget_id;
