-- A team's usage in the window, deleted in the costs' transaction before the new rows are copied in.
DELETE FROM finops.usage_data
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND usage_date >= %(window_start)s AND usage_date < %(window_end)s;
