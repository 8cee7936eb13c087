-- The usage panels' segments in one pass (finops/analytics/usage_panels.py), read from finops.usage_model_daily (the
-- rollup of cost_data joined to line_items and of usage_data per provider, team, day, model and token kind, migration
-- 0019) over the current and the previous period, then summed twice:
--   part 'day':    the current period per (day, model, token kind); cost and tokens meet per day over every team
--                  in scope (segments.sql keyed by usage_date, model);
--   part 'period': each period per (team, model, token kind); cost and tokens meet per team and day
--                  (segments.sql keyed by team_id, or by model for one team).
-- The figures are segments.sql's to the last digit: the rollup holds its cost rows and its unpivoted usage rows summed
-- per provider, team, day, model and kind (requests on the `input` kind, kinds with neither tokens nor requests left
-- out). Anthropic's model ids are named here, as the period's cost rows' line items name them (only Anthropic cost
-- rows carry a model: the cost report's structured field), its rows' usage and cost parts read apart for that. Cost
-- and tokens meet per (team, day, model, kind): a team with no Anthropic row in scope has one rollup row per such
-- group already (one provider), read as stored; the rows of a team with Anthropic rows are summed per group first,
-- their token sums cast back to bigint (a numeric branch in the union would make every row's tokens numeric, and
-- the period sums numeric additions instead of 128-bit integer ones: ~20 ms of the overview at 1,000 teams).
-- Part 'period' of the other teams comes from finops.usage_model_mtd (migration 0021: month-to-date sums of the same
-- rows and parts per team, model and kind): a piece of a period that starts on the first of a month (the Python side
-- cuts periods at month ends: mtd_* for those, range_* for the others) is one row per group, read on the last day of
-- the piece that any team has rows on (one index range for every team), or for a team whose rows stop earlier on its
-- own last day (one probe each). Pieces that start within a month are summed from the daily rows (a difference of
-- two month-to-date sums could show other digits), and a period of one piece is returned as read.
WITH names AS (
    SELECT DISTINCT ON (p.period, c.model) p.period, c.model AS api_model, li.model
    FROM finops.cost_data c
    JOIN (VALUES ('previous', %(previous_start)s::date, %(previous_end)s::date),
                 ('current', %(start)s::date, %(end)s::date)) AS p (period, start_day, end_day)
      ON c.usage_date >= p.start_day AND c.usage_date < p.end_day
    JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.provider = 'anthropic' AND 'anthropic' = ANY(%(providers)s::text[])
      AND c.model IS NOT NULL AND li.model IS NOT NULL
      AND ((c.usage_date >= %(previous_start)s AND c.usage_date < %(previous_end)s)
           OR (c.usage_date >= %(start)s AND c.usage_date < %(end)s))
    ORDER BY p.period, c.model, li.model
), stored AS NOT MATERIALIZED (  -- each period's rollup rows in scope (a row in both periods counts in both)
    SELECT 'previous' AS period, r.*
    FROM finops.usage_model_daily r
    WHERE r.usage_date >= %(previous_start)s AND r.usage_date < %(previous_end)s
      AND r.provider = ANY(%(providers)s::text[])
      AND (%(team_id)s::text IS NULL OR r.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR r.team_id = ANY(%(teams)s::text[]))
    UNION ALL
    SELECT 'current', r.*
    FROM finops.usage_model_daily r
    WHERE r.usage_date >= %(start)s AND r.usage_date < %(end)s
      AND r.provider = ANY(%(providers)s::text[])
      AND (%(team_id)s::text IS NULL OR r.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR r.team_id = ANY(%(teams)s::text[]))
), anthropic AS (  -- Anthropic's rows: the usage part named after the period's line items, the cost part as is
    SELECT s.period, s.team_id, s.usage_date, COALESCE(n.model, s.model) AS model, s.token_kind, NULL::numeric AS cost,
           s.tokens, s.requests
    FROM stored s
    LEFT JOIN names n ON n.period = s.period AND n.api_model = s.model
    WHERE s.provider = 'anthropic' AND s.usage_rows > 0
    UNION ALL
    SELECT period, team_id, usage_date, model, token_kind, cost, 0, NULL
    FROM stored
    WHERE provider = 'anthropic' AND cost_rows > 0
), others AS NOT MATERIALIZED (  -- every other provider's rows, as stored
    SELECT period, team_id, usage_date, model, token_kind, cost, tokens, requests
    FROM stored
    WHERE provider <> 'anthropic'
), mixed AS (  -- teams whose groups may span rows (Anthropic's renamed, or two providers')
    SELECT DISTINCT team_id FROM anthropic
), team_days AS (  -- mixed teams: their rows per team-day group, over the whole periods
    SELECT period, team_id, usage_date, model, token_kind, sum(cost) AS cost, sum(tokens)::bigint AS tokens,
           sum(requests)::bigint AS requests
    FROM (SELECT * FROM others WHERE team_id IN (SELECT team_id FROM mixed) UNION ALL SELECT * FROM anthropic) AS s
    GROUP BY period, team_id, usage_date, model, token_kind
), day_rows AS (  -- the rows summed day by day: mixed teams', and the other teams' in pieces of a period that start
                  -- after the first of a month; each row's parts as page_segments counts them
    SELECT period, team_id, model, token_kind, cost, tokens, requests,
           CASE WHEN tokens > 0 AND cost <> 0 THEN cost END AS matched_cost,
           CASE WHEN tokens > 0 AND cost <> 0 THEN tokens ELSE 0 END AS matched_tokens,
           CASE WHEN tokens = 0 AND cost <> 0 THEN cost END AS cost_without_usage,
           CASE WHEN tokens > 0 AND COALESCE(cost, 0) = 0 THEN tokens ELSE 0 END AS tokens_without_cost
    FROM (SELECT * FROM team_days
          UNION ALL
          SELECT p.period, r.team_id, r.usage_date, r.model, r.token_kind, r.cost, r.tokens, r.requests
          FROM unnest(%(range_periods)s::text[], %(range_starts)s::date[], %(range_ends)s::date[])
               AS p (period, start_day, end_day)
          JOIN finops.usage_model_daily r ON r.usage_date >= p.start_day AND r.usage_date < p.end_day
          WHERE r.provider = ANY(%(providers)s::text[]) AND r.provider <> 'anthropic'
            AND (%(team_id)s::text IS NULL OR r.team_id = %(team_id)s)
            AND (%(teams)s::text[] IS NULL OR r.team_id = ANY(%(teams)s::text[]))
            AND r.team_id NOT IN (SELECT team_id FROM mixed)) AS d
    WHERE cost IS NOT NULL OR tokens <> 0 OR requests <> 0
), scope_teams AS (  -- the teams read from usage_model_mtd: every team in scope but those with Anthropic rows
    SELECT t.team_id, pr.provider::finops.provider AS provider
    FROM finops.teams AS t CROSS JOIN unnest(%(providers)s::text[]) AS pr (provider)
    WHERE pr.provider <> 'anthropic'
      AND (%(team_id)s::text IS NULL OR t.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR t.team_id = ANY(%(teams)s::text[]))
      AND t.team_id NOT IN (SELECT team_id FROM mixed)
), pieces AS (  -- the pieces of the periods that start on the first of a month, and per provider the last day of
                -- the piece any team has rows on (month to date: yesterday's, not today's)
    SELECT p.period, p.first_day, pr.provider,
           (SELECT max(m.usage_date) FROM finops.usage_model_mtd AS m
            WHERE m.provider = pr.provider AND m.usage_date >= p.first_day AND m.usage_date <= p.last_day) AS day
    FROM unnest(%(mtd_periods)s::text[], %(mtd_firsts)s::date[], %(mtd_lasts)s::date[]) AS p (period, first_day, last_day)
    CROSS JOIN (SELECT DISTINCT provider FROM scope_teams) AS pr
), at_day AS MATERIALIZED (  -- the teams with rows on that day: one index range for all of them
    SELECT p.period, p.first_day AS piece, m.*
    FROM pieces AS p
    CROSS JOIN LATERAL (SELECT * FROM finops.usage_model_mtd AS m
                        WHERE m.provider = p.provider AND m.usage_date = p.day
                          AND (%(team_id)s::text IS NULL OR m.team_id = %(team_id)s)
                          AND (%(teams)s::text[] IS NULL OR m.team_id = ANY(%(teams)s::text[]))
                        OFFSET 0) AS m  -- not flattened: an index range per piece, never a merge over the table
    JOIN scope_teams AS s ON s.team_id = m.team_id AND s.provider = m.provider
), behind AS (  -- the other teams in scope: their own last day with rows in the piece, if any (one index probe each)
    SELECT p.period, p.first_day AS piece, m.*
    FROM (SELECT period, first_day, team_id, provider FROM pieces JOIN scope_teams USING (provider)
          EXCEPT
          SELECT period, piece, team_id, provider FROM at_day) AS s
    JOIN pieces AS p USING (period, first_day, provider)
    CROSS JOIN LATERAL (SELECT max(b.usage_date) AS day FROM finops.usage_model_mtd AS b
                        WHERE b.provider = s.provider AND b.team_id = s.team_id
                          AND b.usage_date >= p.first_day AND b.usage_date < p.day) AS d
    CROSS JOIN LATERAL (SELECT * FROM finops.usage_model_mtd AS m
                        WHERE m.provider = s.provider AND m.team_id = s.team_id AND m.usage_date = d.day) AS m
), mtd_rows AS (
    SELECT period, team_id, model, token_kind, cost, tokens, requests, matched_cost, matched_tokens,
           cost_without_usage, tokens_without_cost
    FROM (SELECT * FROM at_day UNION ALL SELECT * FROM behind) AS r
), period_rows AS (  -- a period read whole from one month's sums has one row per group: nothing to sum
    SELECT * FROM mtd_rows WHERE period = ANY(%(whole_periods)s::text[])
    UNION ALL
    SELECT period, team_id, model, token_kind, sum(cost), sum(tokens)::bigint, sum(requests)::bigint,
           sum(matched_cost), sum(matched_tokens)::bigint, sum(cost_without_usage), sum(tokens_without_cost)::bigint
    FROM (SELECT * FROM mtd_rows WHERE NOT period = ANY(%(whole_periods)s::text[])
          UNION ALL
          SELECT * FROM day_rows) AS s
    GROUP BY period, team_id, model, token_kind
), by_day AS (  -- sums over teams: the team-day groups need not be formed first
    SELECT usage_date, model, token_kind, COALESCE(sum(cost), 0) AS cost, sum(tokens) AS tokens,
           sum(requests) AS requests
    FROM (SELECT * FROM others UNION ALL SELECT * FROM anthropic) AS s
    WHERE period = 'current'
    GROUP BY usage_date, model, token_kind
    HAVING sum(cost) IS NOT NULL OR sum(tokens) <> 0 OR sum(requests) <> 0
)
-- Costs travel once per row: `matched_is_cost` says the matched cost is the row's cost (then `matched_cost` is NULL),
-- and a NULL matched cost or cost without usage is 0 (page_segments turns them into Decimals; a numeric is the
-- costliest column to read, and most rows match whole).
SELECT 'day' AS part, 'current' AS period, NULL AS team_id, usage_date, model, token_kind, cost, tokens::bigint,
       requests::bigint, tokens > 0 AND cost <> 0 AS matched_is_cost, NULL::numeric AS matched_cost,
       (CASE WHEN tokens > 0 AND cost <> 0 THEN tokens ELSE 0 END)::bigint AS matched_tokens,
       CASE WHEN tokens = 0 AND cost <> 0 THEN cost END AS cost_without_usage,
       (CASE WHEN tokens > 0 AND cost = 0 THEN tokens ELSE 0 END)::bigint AS tokens_without_cost
FROM by_day
UNION ALL
SELECT 'period', period, team_id, NULL, model, token_kind, COALESCE(cost, 0), tokens, requests,
       matched_cost = cost AND scale(matched_cost) = scale(cost),
       CASE WHEN matched_cost = cost AND scale(matched_cost) = scale(cost) THEN NULL ELSE matched_cost END,
       matched_tokens, cost_without_usage, tokens_without_cost
FROM period_rows;  -- in no order: the panels sum, sort and key what they read (sorting 14,000 rows cost the read ~25 ms)
