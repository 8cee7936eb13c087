-- Line items of a team's month with no parsed dimensions yet (the loader normally parses them as it loads).
SELECT DISTINCT c.provider::text, c.line_item
FROM finops.cost_data AS c
LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
WHERE c.team_id = %(team_id)s AND c.usage_date >= %(start)s AND c.usage_date < %(end)s AND d.line_item IS NULL
ORDER BY 1, 2;
