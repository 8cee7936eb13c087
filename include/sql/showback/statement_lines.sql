-- A team's month as statement lines: provider, project, model, token kind, day, currency, exact amount.
-- Model and token kind come from the parsed line item (finops.line_items), else the row's own fields, else '-'.
SELECT c.provider::text AS provider, c.project_id, coalesce(li.model, c.model, '-') AS model,
       coalesce(li.token_kind, c.token_type, '-') AS token_kind, c.usage_date, c.currency, sum(c.amount) AS amount
FROM finops.cost_data c
LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
WHERE c.team_id = %(team_id)s AND c.usage_date >= %(start)s AND c.usage_date < %(end)s
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;
