-- A team window's daily spend per project, from the fresh spend_daily rows.
INSERT INTO finops.spend_project_daily (provider, team_id, usage_date, project_id, currency, amount, rows)
SELECT provider, team_id, usage_date, project_id, currency, sum(amount), sum(rows)
FROM finops.spend_daily
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
GROUP BY provider, team_id, usage_date, project_id, currency;
