-- A team's short window (a daily run's few days) deleted before its rows are copied in again. Returns the deleted
-- rows' rollup fields (the API key's last: spend_key_daily), which finops.analytics.rollups.deleted_sums sums per group for the load's change (new sums
-- minus these). Returning the rows costs less than summing them here (no plan of two aggregates); a longer
-- window uses delete_window_summed.sql, whose answer is bounded by days, not rows.
DELETE FROM finops.cost_data
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
RETURNING usage_date, project_id, line_item, currency, amount, api_key_id, allocated;
