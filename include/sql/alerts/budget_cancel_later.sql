-- A removal from a month also cancels the scope's changes scheduled for later months (kept as history).
UPDATE finops.budgets
SET cancelled_at = now(), cancelled_by = %(actor)s
WHERE team_id = %(team_id)s
  AND provider IS NOT DISTINCT FROM %(provider)s::finops.provider
  AND project_id IS NOT DISTINCT FROM %(project_id)s
  AND valid_from > %(valid_from)s
  AND cancelled_at IS NULL;
