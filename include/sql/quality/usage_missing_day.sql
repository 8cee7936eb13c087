-- Incomplete usage: a settled day with token costs but no usage row at all, for a team whose usage is collected
-- (it has usage rows in the window; a deployment that turned usage off is not flagged).
WITH token_days AS (
    SELECT DISTINCT c.team_id, c.usage_date
    FROM finops.cost_data c
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.provider = {provider} AND li.cost_kind = 'tokens' AND c.amount <> 0
      AND c.usage_date >= {window_start} AND c.usage_date < LEAST({window_end}, {settled_before})
      AND ({team_ids} IS NULL OR c.team_id = ANY({team_ids}))
), collected AS (
    SELECT DISTINCT team_id, usage_date FROM finops.usage_project_daily  -- usage_data's groups (migration 0026)
    WHERE provider = {provider} AND usage_date >= {window_start} AND usage_date < {window_end}
)
SELECT t.team_id, t.usage_date
FROM token_days t
WHERE t.team_id IN (SELECT team_id FROM collected)
  AND NOT EXISTS (SELECT 1 FROM collected u WHERE u.team_id = t.team_id AND u.usage_date = t.usage_date)
ORDER BY 1, 2
