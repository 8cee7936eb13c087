-- Line items of a team's window that have no parsed dimensions yet (an older parser's are re-parsed by
-- `finops report --reparse`, not by a load).
SELECT DISTINCT c.line_item
FROM finops.cost_data AS c
LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
  AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
  AND d.line_item IS NULL
ORDER BY 1;
