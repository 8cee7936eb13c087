-- finops.usage_model_source with the cost rows summed per team, day and line item before the join to line_items
-- (the same sums, digits and counts: exact numeric addition does not depend on the grouping), each sum then looking
-- its line item up by key: a window's recompute joins one row per line item and day instead of one per cost row (per
-- project and API key) (docs/performance.md, section 1). Nothing else changes.
CREATE OR REPLACE VIEW finops.usage_model_source AS
SELECT provider, team_id, usage_date, model, token_kind, sum(cost) AS cost, sum(cost_rows)::integer AS cost_rows,
       sum(tokens)::bigint AS tokens, sum(requests)::bigint AS requests, sum(usage_rows)::integer AS usage_rows
FROM (
    SELECT c.provider, c.team_id, c.usage_date, li.model,
           CASE WHEN li.cost_kind = 'tokens' THEN li.token_kind END AS token_kind,
           c.cost, c.cost_rows, 0::bigint AS tokens, NULL::bigint AS requests, 0::bigint AS usage_rows
    FROM (
        SELECT provider, team_id, usage_date, line_item, sum(amount) AS cost, count(*) AS cost_rows
        FROM finops.cost_data
        GROUP BY provider, team_id, usage_date, line_item
    ) AS c
    -- Each sum looks its line item up by key (OFFSET 0 keeps the subquery apart): with line_items' statistics
    -- stale after a load, a plain join was planned with line_items outside and the sums computed again for each of
    -- its rows.
    CROSS JOIN LATERAL (
        SELECT l.model, l.cost_kind, l.token_kind FROM finops.line_items AS l
        WHERE l.provider = c.provider AND l.line_item = c.line_item
        OFFSET 0
    ) AS li
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
