-- Active teams with any cost row in [start, end) (a team without spend gets no digest).
SELECT t.team_id
FROM finops.teams t
WHERE t.active AND (%(team_ids)s::text[] IS NULL OR t.team_id = ANY (%(team_ids)s::text[]))
  AND EXISTS (SELECT 1 FROM finops.cost_data c
              WHERE c.team_id = t.team_id AND c.usage_date >= %(start)s AND c.usage_date < %(end)s)
ORDER BY t.team_id;
