-- Daily spend of the given teams in [start, end) in one currency: the overview's chart by team reads its
-- top teams' days through spend_project_daily_team (the other teams' stack is the day total minus these).
SELECT team_id, usage_date, sum(amount)
FROM finops.spend_project_daily
WHERE team_id = ANY(%(teams)s) AND usage_date >= %(start)s AND usage_date < %(end)s AND currency = %(currency)s
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
GROUP BY team_id, usage_date
ORDER BY team_id, usage_date;
