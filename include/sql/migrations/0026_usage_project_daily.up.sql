-- finops.usage_data summed per provider, team, day, project and model, kept equal to it by statement triggers on
-- every insert, update, delete and truncate of usage_data (the loader's and anyone else's, in the same transaction).
-- The usage reconciliation (include/sql/quality/usage_quantity_mismatch.sql, usage_missing_day.sql) and the usage
-- rollup (finops.usage_model_source) read these sums instead of the usage rows: a few dozen rows a team and day
-- instead of thousands (one per API key, endpoint, tier, batch flag and context window) (docs/performance.md,
-- section 2, issue 25).
CREATE TABLE finops.usage_project_daily (
    provider              finops.provider NOT NULL,
    team_id               text NOT NULL,
    usage_date            date NOT NULL,
    project_id            text NOT NULL,
    model                 text,
    rows                  integer NOT NULL,  -- usage rows summed (a group left with none goes)
    request_rows          integer NOT NULL,  -- of them, the rows with a request count (tool calls have none)
    requests              bigint NOT NULL,
    input_tokens          bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cache_write_tokens    bigint NOT NULL,
    cache_write_5m_tokens bigint NOT NULL,  -- NULL counts summed as 0, as every reader of usage_data did
    cache_write_1h_tokens bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    CONSTRAINT usage_project_daily_key UNIQUE NULLS NOT DISTINCT (provider, team_id, usage_date, project_id, model)
);

COMMENT ON TABLE finops.usage_project_daily IS
    'finops.usage_data summed per provider, team, day, project and model, kept equal to it by the triggers '
    'usage_data_sums_on_*: what the usage reconciliation and finops.usage_model_source read.';

-- The rows a statement deleted are subtracted from their groups and the rows it inserted added (integer sums: exact,
-- whatever order statements come in); groups left without rows go. Every statement finds its groups through the
-- unique key (ON CONFLICT's arbiter, then the emptied groups by their row ids), never by a scan of the table: a
-- plan that filtered the whole table for emptied groups cost 0.2 s a load at 1,000 teams (docs/performance.md).
CREATE FUNCTION finops.usage_data_sums() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    emptied tid[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE finops.usage_project_daily;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        WITH applied AS (
            INSERT INTO finops.usage_project_daily AS s
            SELECT provider, team_id, usage_date, project_id, model, -count(*), -count(requests),
                   -COALESCE(sum(requests), 0), -sum(input_tokens), -sum(cache_read_tokens), -sum(cache_write_tokens),
                   -COALESCE(sum(cache_write_5m_tokens), 0), -COALESCE(sum(cache_write_1h_tokens), 0),
                   -sum(output_tokens)
            FROM old_rows
            GROUP BY provider, team_id, usage_date, project_id, model
            ON CONFLICT (provider, team_id, usage_date, project_id, model) DO UPDATE
                SET rows = s.rows + EXCLUDED.rows, request_rows = s.request_rows + EXCLUDED.request_rows,
                    requests = s.requests + EXCLUDED.requests, input_tokens = s.input_tokens + EXCLUDED.input_tokens,
                    cache_read_tokens = s.cache_read_tokens + EXCLUDED.cache_read_tokens,
                    cache_write_tokens = s.cache_write_tokens + EXCLUDED.cache_write_tokens,
                    cache_write_5m_tokens = s.cache_write_5m_tokens + EXCLUDED.cache_write_5m_tokens,
                    cache_write_1h_tokens = s.cache_write_1h_tokens + EXCLUDED.cache_write_1h_tokens,
                    output_tokens = s.output_tokens + EXCLUDED.output_tokens
            RETURNING s.ctid, s.rows
        )
        SELECT array_agg(ctid) FILTER (WHERE rows <= 0) INTO emptied FROM applied;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO finops.usage_project_daily AS s
        SELECT provider, team_id, usage_date, project_id, model, count(*), count(requests), COALESCE(sum(requests), 0),
               sum(input_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
               COALESCE(sum(cache_write_5m_tokens), 0), COALESCE(sum(cache_write_1h_tokens), 0), sum(output_tokens)
        FROM new_rows
        GROUP BY provider, team_id, usage_date, project_id, model
        ON CONFLICT (provider, team_id, usage_date, project_id, model) DO UPDATE
            SET rows = s.rows + EXCLUDED.rows, request_rows = s.request_rows + EXCLUDED.request_rows,
                requests = s.requests + EXCLUDED.requests, input_tokens = s.input_tokens + EXCLUDED.input_tokens,
                cache_read_tokens = s.cache_read_tokens + EXCLUDED.cache_read_tokens,
                cache_write_tokens = s.cache_write_tokens + EXCLUDED.cache_write_tokens,
                cache_write_5m_tokens = s.cache_write_5m_tokens + EXCLUDED.cache_write_5m_tokens,
                cache_write_1h_tokens = s.cache_write_1h_tokens + EXCLUDED.cache_write_1h_tokens,
                output_tokens = s.output_tokens + EXCLUDED.output_tokens;
    END IF;
    IF emptied IS NOT NULL THEN  -- an UPDATE's new rows may have filled an emptied group again: checked by its id
        DELETE FROM finops.usage_project_daily WHERE ctid = ANY (emptied) AND rows <= 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER usage_data_sums_on_insert AFTER INSERT ON finops.usage_data
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_data_sums();
CREATE TRIGGER usage_data_sums_on_update AFTER UPDATE ON finops.usage_data
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_data_sums();
CREATE TRIGGER usage_data_sums_on_delete AFTER DELETE ON finops.usage_data
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_data_sums();
CREATE TRIGGER usage_data_sums_on_truncate AFTER TRUNCATE ON finops.usage_data
    FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_data_sums();

-- finops.usage_model_source as in 0023, its usage side summed from usage_project_daily instead of usage_data (the
-- same sums and row counts; requests NULL where no usage row of the group has a request count, as sum() gave).
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
    -- Each sum looks its line item up by key (OFFSET 0 keeps the subquery apart): see 0023.
    CROSS JOIN LATERAL (
        SELECT l.model, l.cost_kind, l.token_kind FROM finops.line_items AS l
        WHERE l.provider = c.provider AND l.line_item = c.line_item
        OFFSET 0
    ) AS li
    UNION ALL
    SELECT d.provider, d.team_id, d.usage_date, d.model, k.token_kind, NULL, 0, k.tokens,
           CASE WHEN k.token_kind = 'input' THEN d.requests END, d.rows
    FROM (
        SELECT provider, team_id, usage_date, model, sum(rows) AS rows,
               CASE WHEN sum(request_rows) > 0 THEN sum(requests) END AS requests,
               sum(input_tokens) AS input, sum(cache_read_tokens) AS cached,
               sum(cache_write_5m_tokens) AS write_5m, sum(cache_write_1h_tokens) AS write_1h,
               sum(cache_write_tokens) AS writes, sum(output_tokens) AS output
        FROM finops.usage_project_daily
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
    'What finops.usage_model_daily holds, computed from cost_data, line_items and usage_project_daily (usage_data''s '
    'sums; filter it by provider, team and day: the filters reach both tables'' indexes).';
