DELETE FROM finops.spend_project_daily
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND usage_date >= %(window_start)s AND usage_date < %(window_end)s;
