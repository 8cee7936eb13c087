-- Daily spend per team, provider, project and model on [start_date, end_date), the model of each line item given
-- as parallel arrays (a NULL model: the line item names none, and such spend sums under a NULL model). Projects are
-- kept for the teams in project_teams (NULL: every team); the others' projects sum under a NULL project.
SELECT c.team_id, c.provider::text AS provider,
       CASE WHEN %(project_teams)s::text[] IS NULL OR c.team_id = ANY (%(project_teams)s::text[])
            THEN c.project_id END AS project_id,
       c.usage_date, c.currency, sum(c.amount) AS amount, m.model
FROM finops.cost_data c
JOIN unnest(%(providers)s::text[], %(line_items)s::text[], %(models)s::text[]) AS m(provider, line_item, model)
  ON m.provider = c.provider::text AND m.line_item = c.line_item
WHERE c.usage_date >= %(start_date)s AND c.usage_date < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR c.team_id = ANY (%(team_ids)s::text[]))
GROUP BY 1, 2, 3, 4, 5, 7
