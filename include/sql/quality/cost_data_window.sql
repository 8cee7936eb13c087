-- The batch every expectation reads: one provider's cost rows of the window [window_start, window_end), on a plain
-- date range so the planner uses cost_data_usage_date (never EXTRACT(year/month/day ...)).
SELECT *
FROM finops.cost_data
WHERE provider = {provider}
  AND usage_date >= {window_start}
  AND usage_date < {window_end}
  AND ({team_ids} IS NULL OR team_id = ANY({team_ids}))
