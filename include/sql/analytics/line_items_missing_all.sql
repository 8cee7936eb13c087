-- Every (provider, line item) of cost_data with no parsed dimensions yet (or parsed by an older parser).
SELECT c.provider, c.line_item
FROM (SELECT DISTINCT provider, line_item FROM finops.cost_data) AS c
LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
WHERE d.line_item IS NULL OR d.parser_version < %(parser_version)s
ORDER BY 1, 2;
