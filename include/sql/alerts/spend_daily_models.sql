-- Daily spend per team, provider, project and model on [start_date, end_date), the model of each line item given
-- as parallel arrays (NULL: the line item names no model; those days sum under a NULL model).
SELECT c.team_id, c.provider::text AS provider, c.project_id, c.usage_date, c.currency, sum(c.amount) AS amount,
       m.model
FROM finops.cost_data c
JOIN unnest(%(providers)s::text[], %(line_items)s::text[], %(models)s::text[]) AS m(provider, line_item, model)
  ON m.provider = c.provider::text AND m.line_item = c.line_item
WHERE c.usage_date >= %(start_date)s AND c.usage_date < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR c.team_id = ANY (%(team_ids)s::text[]))
GROUP BY c.team_id, c.provider, c.project_id, c.usage_date, c.currency, m.model
ORDER BY c.team_id, c.provider, c.project_id, c.usage_date, c.currency, m.model;
