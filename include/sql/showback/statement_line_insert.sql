INSERT INTO finops.team_statement_lines (statement_id, provider, project_id, model, token_kind, usage_date, currency,
                                         amount)
VALUES (%(statement_id)s, %(provider)s, %(project_id)s, %(model)s, %(token_kind)s, %(usage_date)s, %(currency)s,
        %(amount)s);
