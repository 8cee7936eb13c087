-- Groups left with no cost row after a window's change are removed (the rollups hold no zero rows): the team's
-- spend_project_daily days and spend_project_monthly months of the window, spend_model_daily's days (all teams).
WITH projects AS (
    DELETE FROM finops.spend_project_daily
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s AND rows = 0
), models AS (
    DELETE FROM finops.spend_model_daily
    WHERE provider = %(provider)s AND usage_date >= %(window_start)s AND usage_date < %(window_end)s AND rows = 0
)
DELETE FROM finops.spend_project_monthly
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND month >= date_trunc('month', %(window_start)s::date) AND month < %(window_end)s AND rows = 0;
