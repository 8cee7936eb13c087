-- finops.usage_model_mtd over whole months [first, stop) of one provider's team (or, with team_id NULL, all its
-- teams) recomputed from finops.usage_model_daily from the first changed day on (`changed`; the days before it keep
-- their sums, which add only earlier days): fresh rows upserted (unchanged ones left alone: a rerun writes
-- nothing), rows no longer present deleted. Run after every change of usage_model_daily (a load's window, a re-parse's
-- days, a rebuild; finops.analytics.rollups), in the same transaction and under the same locks.
--
-- A row holds, for its (team, model, token kind), the sums from the first of its month through its day over the
-- rollup rows that page_segments.sql counts (cost, tokens or requests), and the parts it splits them into (the cost
-- that meets tokens on its team-day and those tokens, cost without tokens, tokens without cost): a period that starts
-- on the first of a month is then one row per group, read on its last day. Each group has a row on every day from its
-- first one to the team's last day with rows in that month (a day without rows carries the sums), so the page reads
-- the same day for every group of a team.
WITH src AS (
    SELECT team_id, usage_date, date_trunc('month', usage_date)::date AS month, model, token_kind, cost, tokens,
           requests
    FROM finops.usage_model_daily
    WHERE provider = %(provider)s AND (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
      AND usage_date >= %(first)s AND usage_date < %(stop)s
      AND (cost IS NOT NULL OR tokens <> 0 OR requests <> 0)
), grid AS (  -- the days a group has no row (EXCEPT: NULL models and kinds equal, hashed): nothing to add, the
              -- sums carried
    SELECT team_id, usage_date, month, model, token_kind, NULL::numeric AS cost, 0::bigint AS tokens,
           NULL::bigint AS requests
    FROM (SELECT g.team_id, d::date AS usage_date, g.month, g.model, g.token_kind
          FROM (SELECT team_id, month, model, token_kind, min(usage_date) AS first_day
                FROM src GROUP BY team_id, month, model, token_kind) AS g
          JOIN (SELECT team_id, month, max(usage_date) AS last_day FROM src GROUP BY team_id, month) AS l
            USING (team_id, month)
          CROSS JOIN LATERAL generate_series(g.first_day, l.last_day, interval '1 day') AS d
          EXCEPT ALL
          SELECT team_id, usage_date, month, model, token_kind FROM src) AS missing
), summed AS (
    SELECT team_id, usage_date, model, token_kind,
           sum(cost) OVER w AS cost,
           (sum(tokens) OVER w)::bigint AS tokens,
           (sum(requests) OVER w)::bigint AS requests,
           sum(CASE WHEN tokens > 0 AND cost <> 0 THEN cost END) OVER w AS matched_cost,
           (sum(CASE WHEN tokens > 0 AND cost <> 0 THEN tokens ELSE 0 END) OVER w)::bigint AS matched_tokens,
           sum(CASE WHEN tokens = 0 AND cost <> 0 THEN cost END) OVER w AS cost_without_usage,
           (sum(CASE WHEN tokens > 0 AND COALESCE(cost, 0) = 0 THEN tokens ELSE 0 END) OVER w)::bigint
               AS tokens_without_cost
    FROM (SELECT * FROM src UNION ALL SELECT * FROM grid) AS s
    WINDOW w AS (PARTITION BY team_id, month, model, token_kind ORDER BY usage_date)
), fresh AS (  -- the days before the first changed one keep their sums (they add only earlier days)
    SELECT * FROM summed WHERE usage_date >= %(changed)s
), stale AS (  -- EXCEPT compares NULL models and kinds as equal, and hashes: no pairwise scan on a rebuild
    DELETE FROM finops.usage_model_mtd AS r
    USING (SELECT team_id, usage_date, model, token_kind
           FROM finops.usage_model_mtd
           WHERE provider = %(provider)s AND (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
             AND usage_date >= %(changed)s AND usage_date < %(stop)s
           EXCEPT
           SELECT team_id, usage_date, model, token_kind FROM fresh) AS gone
    WHERE r.provider = %(provider)s AND r.team_id = gone.team_id AND r.usage_date = gone.usage_date
      AND r.model IS NOT DISTINCT FROM gone.model AND r.token_kind IS NOT DISTINCT FROM gone.token_kind
)
INSERT INTO finops.usage_model_mtd AS r
    (provider, team_id, usage_date, model, token_kind, cost, tokens, requests, matched_cost, matched_tokens,
     cost_without_usage, tokens_without_cost)
SELECT %(provider)s::finops.provider, team_id, usage_date, model, token_kind, cost, tokens, requests, matched_cost, matched_tokens,
       cost_without_usage, tokens_without_cost
FROM fresh
ON CONFLICT (provider, team_id, usage_date, model, token_kind)
DO UPDATE SET cost = EXCLUDED.cost, tokens = EXCLUDED.tokens, requests = EXCLUDED.requests,
              matched_cost = EXCLUDED.matched_cost, matched_tokens = EXCLUDED.matched_tokens,
              cost_without_usage = EXCLUDED.cost_without_usage, tokens_without_cost = EXCLUDED.tokens_without_cost
-- amounts compared with their scales: 1.50 and 1.5 are equal numerics, but the page shows the digits of the sums
WHERE (r.cost, scale(r.cost), r.tokens, r.requests, r.matched_cost, scale(r.matched_cost), r.matched_tokens,
       r.cost_without_usage, scale(r.cost_without_usage), r.tokens_without_cost)
      IS DISTINCT FROM (EXCLUDED.cost, scale(EXCLUDED.cost), EXCLUDED.tokens, EXCLUDED.requests, EXCLUDED.matched_cost,
                        scale(EXCLUDED.matched_cost), EXCLUDED.matched_tokens, EXCLUDED.cost_without_usage,
                        scale(EXCLUDED.cost_without_usage), EXCLUDED.tokens_without_cost);
