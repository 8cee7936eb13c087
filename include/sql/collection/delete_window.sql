-- A team's window deleted before its rows are copied in again; the deleted rows are returned (the window's
-- old contribution to the rollups: finops.analytics.rollups.after_load subtracts them, so a load needs no
-- copy of its rows elsewhere). The natural key makes each returned row its own group.
DELETE FROM finops.cost_data
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
RETURNING usage_date, project_id, line_item, currency, amount;
