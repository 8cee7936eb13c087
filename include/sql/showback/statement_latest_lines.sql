SELECT provider, project_id, model, token_kind, usage_date, currency, amount
FROM finops.team_statement_lines
WHERE statement_id = %(statement_id)s
ORDER BY 1, 2, 3, 4, 5, 6;
