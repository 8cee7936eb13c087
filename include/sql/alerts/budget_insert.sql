INSERT INTO finops.budgets (team_id, provider, project_id, valid_from, amount, currency, thresholds, created_by)
VALUES (%(team_id)s, %(provider)s, %(project_id)s, %(valid_from)s, %(amount)s, %(currency)s, %(thresholds)s,
        %(actor)s)
RETURNING budget_id, team_id, provider::text AS provider, project_id, valid_from, amount, currency, thresholds,
          created_at, created_by, cancelled_at;
