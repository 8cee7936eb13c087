-- A team's spend in the digest's two weeks, by provider, project, model and currency; `current` marks the later week.
SELECT c.usage_date >= %(current_start)s AS current, c.provider::text AS provider, c.project_id,
       coalesce(li.model, c.model, '(none)') AS model, c.currency, sum(c.amount) AS amount
FROM finops.cost_data c
LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
WHERE c.team_id = %(team_id)s AND c.usage_date >= %(previous_start)s AND c.usage_date < %(end)s
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5;
