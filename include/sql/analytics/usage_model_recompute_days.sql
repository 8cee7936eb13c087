-- finops.usage_model_daily's groups of some days of a provider recomputed over all teams (a re-parse changed line
-- items' models or token kinds, or stored missing ones): fresh groups upserted, groups no longer present deleted.
-- The caller holds the recompute's lock (lock_model_daily.sql): no load or batch changes these days meanwhile.
WITH fresh AS (
    SELECT *
    FROM finops.usage_model_source
    WHERE provider = %(provider)s AND usage_date = ANY (%(days)s::date[])
), stale AS (
    DELETE FROM finops.usage_model_daily AS r
    WHERE provider = %(provider)s AND usage_date = ANY (%(days)s::date[])
      AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.team_id = r.team_id AND f.usage_date = r.usage_date
                        AND f.model IS NOT DISTINCT FROM r.model AND f.token_kind IS NOT DISTINCT FROM r.token_kind)
)
INSERT INTO finops.usage_model_daily AS r
SELECT * FROM fresh
ORDER BY team_id, usage_date, model, token_kind
ON CONFLICT (provider, team_id, usage_date, model, token_kind)
DO UPDATE SET cost = EXCLUDED.cost, cost_rows = EXCLUDED.cost_rows, tokens = EXCLUDED.tokens,
              requests = EXCLUDED.requests, usage_rows = EXCLUDED.usage_rows
WHERE (r.cost, r.cost_rows, r.tokens, r.requests, r.usage_rows)
      IS DISTINCT FROM (EXCLUDED.cost, EXCLUDED.cost_rows, EXCLUDED.tokens, EXCLUDED.requests, EXCLUDED.usage_rows);
