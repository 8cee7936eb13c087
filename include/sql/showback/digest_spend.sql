-- A team's spend in the digest's two weeks, by provider, project, model and currency; `current` marks the later week.
-- The project's (workspace's) name as registered, for the digest's labels.
SELECT s.current, s.provider, s.project_id, s.model, s.currency, s.amount, p.name AS project_name
FROM (
    SELECT c.usage_date >= %(current_start)s AS current, c.provider, c.project_id,
           coalesce(li.model, c.model, '(none)') AS model, c.currency, sum(c.amount) AS amount
    FROM finops.cost_data c
    LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.team_id = %(team_id)s AND c.usage_date >= %(previous_start)s AND c.usage_date < %(end)s
    GROUP BY 1, 2, 3, 4, 5
) s
LEFT JOIN finops.projects p ON p.team_id = %(team_id)s AND p.provider = s.provider AND p.project_id = s.project_id
                               AND p.name IS NOT NULL AND p.name <> ''
ORDER BY s.current, s.provider::text, s.project_id, s.model, s.currency;
