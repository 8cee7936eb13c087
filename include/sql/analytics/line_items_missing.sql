-- Line items of some days of a provider (all teams) that have no parsed dimensions yet, before those days' model
-- rollup is recomputed (an older parser's are re-parsed by `finops report --reparse`, not here).
SELECT DISTINCT c.line_item
FROM finops.cost_data AS c
LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
WHERE c.provider = %(provider)s AND c.usage_date = ANY (%(days)s::date[])
  AND d.line_item IS NULL
ORDER BY 1;
