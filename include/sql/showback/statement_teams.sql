-- Teams with costs in [start, end) (active or not: a deactivated team still gets the statement of its last month).
SELECT DISTINCT team_id
FROM finops.cost_data
WHERE usage_date >= %(start)s AND usage_date < %(end)s
  AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
ORDER BY team_id;
