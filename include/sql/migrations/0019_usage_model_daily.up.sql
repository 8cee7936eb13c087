-- The usage panels' rollup (issue 25, docs/usage.md): per provider, team, day, model and token kind, the cost of the
-- line items of that model and kind (cost_data joined to line_items) beside the tokens and requests of finops.usage_data,
-- so the overview and the team page sum a few rows per team and day instead of every cost and usage row of the
-- periods. Cost side: model and token kind from finops.line_items (token kind NULL for a cost that is not a token
-- cost), cost NULL where no cost row exists, cost_rows the cost rows summed. Usage side: usage_data summed per (team,
-- day, model) and unpivoted into the token kinds of segments.sql (input, cached input, cache write 5m / 1h / other,
-- output), requests on the `input` kind, kinds with neither tokens nor requests left out; the model as the usage API
-- names it (Anthropic's ids are named after the line items when the page is read, as segments.sql does). Amounts of
-- every currency are summed, as the panels do. Derived data: recomputed per team window by each load's rollup batch
-- (finops.analytics.rollups.refresh_usage_windows), per day by a re-parse, whole by a rebuild.
CREATE VIEW finops.usage_model_source AS
SELECT provider, team_id, usage_date, model, token_kind, sum(cost) AS cost, sum(cost_rows)::integer AS cost_rows,
       sum(tokens)::bigint AS tokens, sum(requests)::bigint AS requests, sum(usage_rows)::integer AS usage_rows
FROM (
    SELECT c.provider, c.team_id, c.usage_date, li.model,
           CASE WHEN li.cost_kind = 'tokens' THEN li.token_kind END AS token_kind,
           c.amount AS cost, 1 AS cost_rows, 0::bigint AS tokens, NULL::bigint AS requests, 0::bigint AS usage_rows
    FROM finops.cost_data AS c
    JOIN finops.line_items AS li ON li.provider = c.provider AND li.line_item = c.line_item
    UNION ALL
    SELECT d.provider, d.team_id, d.usage_date, d.model, k.token_kind, NULL, 0, k.tokens,
           CASE WHEN k.token_kind = 'input' THEN d.requests END, d.rows
    FROM (
        SELECT provider, team_id, usage_date, model, count(*) AS rows, sum(requests) AS requests,
               sum(input_tokens) AS input, sum(cache_read_tokens) AS cached,
               sum(COALESCE(cache_write_5m_tokens, 0)) AS write_5m, sum(COALESCE(cache_write_1h_tokens, 0)) AS write_1h,
               sum(cache_write_tokens) AS writes, sum(output_tokens) AS output
        FROM finops.usage_data
        GROUP BY provider, team_id, usage_date, model
    ) AS d
    CROSS JOIN LATERAL (VALUES
        ('input', d.input),
        ('cached input', d.cached),
        ('cache write 5m', d.write_5m),
        ('cache write 1h', d.write_1h),
        ('cache write', d.writes - d.write_5m - d.write_1h),
        ('output', d.output)
    ) AS k (token_kind, tokens)
    WHERE k.tokens <> 0 OR (k.token_kind = 'input' AND d.requests IS NOT NULL)
) AS s
GROUP BY provider, team_id, usage_date, model, token_kind;
COMMENT ON VIEW finops.usage_model_source IS
    'What finops.usage_model_daily holds, computed from cost_data, line_items and usage_data (filter it by provider, '
    'team and day: the filters reach both tables'' indexes).';

-- The foreign key lets TRUNCATE finops.teams CASCADE empty it with usage_data; a load writes a few rows of it.
CREATE TABLE finops.usage_model_daily (
    provider   finops.provider NOT NULL,
    team_id    text NOT NULL REFERENCES finops.teams (team_id) ON DELETE CASCADE,
    usage_date date NOT NULL,
    model      text,
    token_kind text,
    cost       numeric,
    cost_rows  integer NOT NULL,
    tokens     bigint NOT NULL,
    requests   bigint,
    usage_rows integer NOT NULL
);
CREATE UNIQUE INDEX usage_model_daily_grain ON finops.usage_model_daily
    (provider, team_id, usage_date, model, token_kind) NULLS NOT DISTINCT;
-- The overview reads every team's rows of two periods.
CREATE INDEX usage_model_daily_usage_date ON finops.usage_model_daily (usage_date);

SET LOCAL work_mem = '256MB';
INSERT INTO finops.usage_model_daily
SELECT * FROM finops.usage_model_source
ORDER BY usage_date;
