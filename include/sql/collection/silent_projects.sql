-- Registered scopes (project or workspace IDs) of one provider with no cost row in the window.
SELECT p.project_id
FROM finops.projects p
WHERE p.team_id = %(team_id)s AND p.provider = %(provider)s AND p.active
  AND NOT EXISTS (
      SELECT 1 FROM finops.cost_data c
      WHERE c.provider = p.provider AND c.team_id = p.team_id AND c.project_id = p.project_id
        AND c.usage_date >= %(start)s AND c.usage_date < %(end)s)
ORDER BY 1;
