-- One API key's spend per day and model in [start, end) (the key's page), the model as the API names it (usage_data's).
SELECT c.usage_date, COALESCE(c.model, li.model, c.line_item) AS model, c.currency, sum(c.amount) AS amount,
       bool_or(c.allocated) AS allocated
FROM finops.cost_data c
LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s AND c.api_key_id = %(api_key_id)s
  AND c.usage_date >= %(start)s AND c.usage_date < %(end)s
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
