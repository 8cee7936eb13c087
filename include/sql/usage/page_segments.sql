-- The usage panels' segments in one pass (finops/analytics/usage_panels.py): segments.sql's cost and usage, summed
-- once per (period, team, day, model, token kind) over the current and the previous period, then read twice:
--   part 'day':    the current period per (day, model, token kind); cost and tokens meet per day over every team
--                  in scope (segments.sql keyed by usage_date, model);
--   part 'period': each period per (team, model, token kind); cost and tokens meet per team and day
--                  (segments.sql keyed by team_id, or by model for one team).
-- Same rules as segments.sql: Anthropic's model ids are named as the period's cost rows' line items name them (only
-- Anthropic cost rows carry a model: the cost report's structured field), requests ride on the `input` kind, a
-- group with neither cost, tokens nor requests is left out. Usage rows are summed per (team, day, model) before the
-- unpivot and cost rows read through the primary key per provider, so a team's page reads its own rows only.
WITH periods (period, start_day, end_day) AS (
    VALUES ('previous', %(previous_start)s::date, %(previous_end)s::date),
           ('current', %(start)s::date, %(end)s::date)
), names AS (
    SELECT DISTINCT ON (p.period, c.provider, c.model) p.period, c.provider, c.model AS api_model, li.model
    FROM finops.cost_data c
    JOIN periods p ON c.usage_date >= p.start_day AND c.usage_date < p.end_day
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.provider = 'anthropic' AND c.model IS NOT NULL AND li.model IS NOT NULL
      AND ((c.usage_date >= %(previous_start)s AND c.usage_date < %(previous_end)s)
           OR (c.usage_date >= %(start)s AND c.usage_date < %(end)s))
    ORDER BY p.period, c.provider, c.model, li.model
), usage_days AS (
    SELECT p.period, u.provider, u.team_id, u.usage_date, u.model, sum(u.requests) AS requests,
           sum(u.input_tokens) AS input, sum(u.cache_read_tokens) AS cached,
           sum(COALESCE(u.cache_write_5m_tokens, 0)) AS write_5m, sum(COALESCE(u.cache_write_1h_tokens, 0)) AS write_1h,
           sum(u.cache_write_tokens) AS writes, sum(u.output_tokens) AS output
    FROM finops.usage_data u
    JOIN periods p ON u.usage_date >= p.start_day AND u.usage_date < p.end_day
    WHERE u.provider = ANY(%(providers)s::text[])
      AND ((u.usage_date >= %(previous_start)s AND u.usage_date < %(previous_end)s)
           OR (u.usage_date >= %(start)s AND u.usage_date < %(end)s))
      AND (%(team_id)s::text IS NULL OR u.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR u.team_id = ANY(%(teams)s::text[]))
    GROUP BY p.period, u.provider, u.team_id, u.usage_date, u.model
), rows AS (
    SELECT d.period, d.team_id, COALESCE(n.model, d.model) AS model, d.usage_date, k.token_kind, k.tokens,
           CASE WHEN k.token_kind = 'input' THEN d.requests END AS requests, NULL::numeric AS cost
    FROM usage_days d
    LEFT JOIN names n ON n.period = d.period AND n.provider = d.provider AND n.api_model = d.model
    CROSS JOIN LATERAL (VALUES
        ('input', d.input),
        ('cached input', d.cached),
        ('cache write 5m', d.write_5m),
        ('cache write 1h', d.write_1h),
        ('cache write', d.writes - d.write_5m - d.write_1h),
        ('output', d.output)
    ) AS k (token_kind, tokens)
    WHERE k.tokens <> 0 OR (k.token_kind = 'input' AND d.requests IS NOT NULL)  -- the others add nothing
    UNION ALL
    SELECT c.period, c.team_id, li.model, c.usage_date,
           CASE WHEN li.cost_kind = 'tokens' THEN li.token_kind END, 0, NULL, c.cost
    FROM (
        SELECT p.period, c.provider, c.team_id, c.usage_date, c.line_item, sum(c.amount) AS cost
        FROM finops.cost_data c
        JOIN periods p ON c.usage_date >= p.start_day AND c.usage_date < p.end_day
        WHERE c.provider = ANY(%(providers)s::text[])
          AND ((c.usage_date >= %(previous_start)s AND c.usage_date < %(previous_end)s)
               OR (c.usage_date >= %(start)s AND c.usage_date < %(end)s))
          AND (%(team_id)s::text IS NULL OR c.team_id = %(team_id)s)
          AND (%(teams)s::text[] IS NULL OR c.team_id = ANY(%(teams)s::text[]))
        GROUP BY p.period, c.provider, c.team_id, c.usage_date, c.line_item
    ) AS c
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
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
