-- Line items of a team's window (its cost rows and the deleted ones passed in) that have no parsed dimensions
-- yet (an older parser's are re-parsed by `finops report --reparse`, not by a load).
SELECT i.line_item
FROM (
    SELECT line_item
    FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    UNION
    SELECT unnest(%(old_items)s::text[])
) AS i
WHERE NOT EXISTS (SELECT 1 FROM finops.line_items AS d WHERE d.provider = %(provider)s AND d.line_item = i.line_item)
ORDER BY 1;
