-- Cost and usage per ({keys}, model, token kind) over [start, end): the input of `finops report --usage`, the
-- change explained and the demo's unit costs (finops/usage/report.py). {keys} come from a fixed list, never user
-- text. Costs: every cost row, its model and token kind from finops.line_items (token kind NULL for non-token
-- costs). Usage: finops.usage_data unpivoted into the same token kinds; Anthropic's model ids are named as the cost
-- rows' line items name them (`claude-sonnet-4-20250514` -> the report's model) through the window's cost rows.
-- Requests ride on the `input` kind row (one per usage row). Cost and tokens meet per day: a day's cost of a
-- kind with no tokens that day is "cost without usage", tokens with no cost "tokens without cost".
WITH names AS (
    SELECT DISTINCT ON (c.provider, c.model) c.provider, c.model AS api_model, li.model
    FROM finops.cost_data c
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.model IS NOT NULL AND li.model IS NOT NULL
      AND c.usage_date >= %(start)s AND c.usage_date < %(end)s
    ORDER BY c.provider, c.model, li.model
), usage AS (
    SELECT u.team_id, u.provider::text AS provider, u.project_id, COALESCE(n.model, u.model) AS model, u.usage_date,
           k.token_kind, k.tokens, CASE WHEN k.token_kind = 'input' THEN u.requests END AS requests,
           NULL::numeric AS cost
    FROM finops.usage_data u
    LEFT JOIN names n ON n.provider = u.provider AND n.api_model = u.model
    CROSS JOIN LATERAL (VALUES
        ('input', u.input_tokens),
        ('cached input', u.cache_read_tokens),
        ('cache write 5m', COALESCE(u.cache_write_5m_tokens, 0)),
        ('cache write 1h', COALESCE(u.cache_write_1h_tokens, 0)),
        ('cache write', u.cache_write_tokens - COALESCE(u.cache_write_5m_tokens, 0)
                        - COALESCE(u.cache_write_1h_tokens, 0)),
        ('output', u.output_tokens)
    ) AS k (token_kind, tokens)
    WHERE u.usage_date >= %(start)s AND u.usage_date < %(end)s
      AND (%(provider)s::text IS NULL OR u.provider::text = %(provider)s)
      AND (%(team_id)s::text IS NULL OR u.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR u.team_id = ANY(%(teams)s::text[]))
), costs AS (
    SELECT c.team_id, c.provider::text AS provider, c.project_id, li.model, c.usage_date,
           CASE WHEN li.cost_kind = 'tokens' THEN li.token_kind END AS token_kind,
           0::bigint AS tokens, NULL::bigint AS requests, c.amount AS cost
    FROM finops.cost_data c
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.usage_date >= %(start)s AND c.usage_date < %(end)s
      AND (%(provider)s::text IS NULL OR c.provider::text = %(provider)s)
      AND (%(team_id)s::text IS NULL OR c.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR c.team_id = ANY(%(teams)s::text[]))
), daily AS (
    SELECT {keys}, usage_date AS day_of, COALESCE(sum(cost), 0) AS cost, sum(tokens) AS tokens,
           sum(requests) AS requests
    FROM (SELECT * FROM usage UNION ALL SELECT * FROM costs) AS s
    GROUP BY {keys}, usage_date
    HAVING sum(cost) IS NOT NULL OR sum(tokens) <> 0 OR sum(requests) <> 0
)
SELECT {keys}, sum(cost) AS cost, sum(tokens) AS tokens, sum(requests) AS requests,
       COALESCE(sum(cost) FILTER (WHERE tokens > 0 AND cost <> 0), 0) AS matched_cost,
       COALESCE(sum(tokens) FILTER (WHERE tokens > 0 AND cost <> 0), 0) AS matched_tokens,
       COALESCE(sum(cost) FILTER (WHERE tokens = 0 AND cost <> 0), 0) AS cost_without_usage,
       COALESCE(sum(tokens) FILTER (WHERE tokens > 0 AND cost = 0), 0) AS tokens_without_cost
FROM daily
GROUP BY {keys}
ORDER BY {keys};
