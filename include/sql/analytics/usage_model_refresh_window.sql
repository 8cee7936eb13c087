-- One team window of finops.usage_model_daily recomputed from cost_data, line_items and usage_data
-- (finops.usage_model_source): fresh groups upserted (unchanged ones left alone: a rerun writes nothing), groups no
-- longer present deleted. Run by the batch that applies the window's load (or the load's own transaction), and by a
-- repair, under usage_model_lock_teams.sql; the line items of the window are stored before (apply_changes).
WITH fresh AS (
    SELECT *
    FROM finops.usage_model_source
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
), stale AS (
    DELETE FROM finops.usage_model_daily AS r
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
      AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.usage_date = r.usage_date
                        AND f.model IS NOT DISTINCT FROM r.model AND f.token_kind IS NOT DISTINCT FROM r.token_kind)
)
INSERT INTO finops.usage_model_daily AS r
SELECT * FROM fresh
ORDER BY usage_date, model, token_kind
ON CONFLICT (provider, team_id, usage_date, model, token_kind)
DO UPDATE SET cost = EXCLUDED.cost, cost_rows = EXCLUDED.cost_rows, tokens = EXCLUDED.tokens,
              requests = EXCLUDED.requests, usage_rows = EXCLUDED.usage_rows
WHERE (r.cost, r.cost_rows, r.tokens, r.requests, r.usage_rows)
      IS DISTINCT FROM (EXCLUDED.cost, EXCLUDED.cost_rows, EXCLUDED.tokens, EXCLUDED.requests, EXCLUDED.usage_rows);
