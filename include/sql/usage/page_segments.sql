-- The usage panels' segments in one pass (finops/analytics/usage_panels.py), read from finops.usage_model_daily (the
-- rollup of cost_data joined to line_items and of usage_data per provider, team, day, model and token kind, migration
-- 0019): the current and the previous period summed once per (period, team, day, model, token kind), then read twice:
--   part 'day':    the current period per (day, model, token kind); cost and tokens meet per day over every team
--                  in scope (segments.sql keyed by usage_date, model);
--   part 'period': each period per (team, model, token kind); cost and tokens meet per team and day
--                  (segments.sql keyed by team_id, or by model for one team).
-- The figures are segments.sql's to the last digit: the rollup holds its cost rows and unpivoted usage rows summed per
-- provider, team, day, model and kind (requests on the `input` kind, kinds with neither tokens nor requests left out).
-- Anthropic's model ids are named here, as the period's cost rows' line items name them (only Anthropic cost rows carry
-- a model: the cost report's structured field): its rows' usage and cost parts are read apart for that. Other
-- providers' rows are read as stored.
WITH periods (period, start_day, end_day) AS (
    VALUES ('previous', %(previous_start)s::date, %(previous_end)s::date),
           ('current', %(start)s::date, %(end)s::date)
), names AS (
    SELECT DISTINCT ON (p.period, c.provider, c.model) p.period, c.provider, c.model AS api_model, li.model
    FROM finops.cost_data c
    JOIN periods p ON c.usage_date >= p.start_day AND c.usage_date < p.end_day
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.provider = 'anthropic' AND 'anthropic' = ANY(%(providers)s::text[])
      AND c.model IS NOT NULL AND li.model IS NOT NULL
      AND ((c.usage_date >= %(previous_start)s AND c.usage_date < %(previous_end)s)
           OR (c.usage_date >= %(start)s AND c.usage_date < %(end)s))
    ORDER BY p.period, c.provider, c.model, li.model
), stored AS (
    SELECT p.period, r.provider, r.team_id, r.usage_date, r.model, r.token_kind, r.cost, r.cost_rows, r.tokens,
           r.requests, r.usage_rows
    FROM finops.usage_model_daily r
    JOIN periods p ON r.usage_date >= p.start_day AND r.usage_date < p.end_day
    WHERE r.provider = ANY(%(providers)s::text[])
      AND ((r.usage_date >= %(previous_start)s AND r.usage_date < %(previous_end)s)
           OR (r.usage_date >= %(start)s AND r.usage_date < %(end)s))
      AND (%(team_id)s::text IS NULL OR r.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR r.team_id = ANY(%(teams)s::text[]))
), rows AS (
    SELECT period, team_id, usage_date, model, token_kind, cost, tokens, requests
    FROM stored
    WHERE provider <> 'anthropic'
    UNION ALL
    SELECT s.period, s.team_id, s.usage_date, COALESCE(n.model, s.model), s.token_kind, NULL, s.tokens, s.requests
    FROM stored s
    LEFT JOIN names n ON n.period = s.period AND n.provider = s.provider AND n.api_model = s.model
    WHERE s.provider = 'anthropic' AND s.usage_rows > 0
    UNION ALL
    SELECT period, team_id, usage_date, model, token_kind, cost, 0, NULL
    FROM stored
    WHERE provider = 'anthropic' AND cost_rows > 0
), daily AS MATERIALIZED (
    SELECT period, team_id, usage_date, model, token_kind, sum(cost) AS cost, sum(tokens) AS tokens,
           sum(requests) AS requests
    FROM rows
    GROUP BY period, team_id, usage_date, model, token_kind
), by_day AS (
    SELECT usage_date, model, token_kind, COALESCE(sum(cost), 0) AS cost, sum(tokens) AS tokens,
           sum(requests) AS requests
    FROM daily
    WHERE period = 'current'
    GROUP BY usage_date, model, token_kind
    HAVING sum(cost) IS NOT NULL OR sum(tokens) <> 0 OR sum(requests) <> 0
), by_team_day AS (
    SELECT period, team_id, model, token_kind, COALESCE(cost, 0) AS cost, tokens, requests
    FROM daily
    WHERE cost IS NOT NULL OR tokens <> 0 OR requests <> 0
)
SELECT 'day' AS part, 'current' AS period, NULL AS team_id, usage_date, model, token_kind, cost, tokens, requests,
       CASE WHEN tokens > 0 AND cost <> 0 THEN cost ELSE 0 END AS matched_cost,
       CASE WHEN tokens > 0 AND cost <> 0 THEN tokens ELSE 0 END AS matched_tokens,
       CASE WHEN tokens = 0 AND cost <> 0 THEN cost ELSE 0 END AS cost_without_usage,
       CASE WHEN tokens > 0 AND cost = 0 THEN tokens ELSE 0 END AS tokens_without_cost
FROM by_day
UNION ALL
SELECT 'period', period, team_id, NULL, model, token_kind, sum(cost), sum(tokens), sum(requests),
       COALESCE(sum(cost) FILTER (WHERE tokens > 0 AND cost <> 0), 0),
       COALESCE(sum(tokens) FILTER (WHERE tokens > 0 AND cost <> 0), 0),
       COALESCE(sum(cost) FILTER (WHERE tokens = 0 AND cost <> 0), 0),
       COALESCE(sum(tokens) FILTER (WHERE tokens > 0 AND cost = 0), 0)
FROM by_team_day
GROUP BY period, team_id, model, token_kind
ORDER BY part, period, team_id, usage_date, model, token_kind;
