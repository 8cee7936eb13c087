-- OpenAI token line items against the usage endpoints: per team, day, project, model and token kind, the costs'
-- `quantity` (tokens; `1000_tokens` scaled) must equal the usage tokens (input uncached, cached input, output).
-- Only days with usage rows are compared (a day without usage is usage_missing_day's finding).
-- Both sides are summed per row group first (usage per model, costs per line item) and only then split into token
-- kinds, so the sums sort and hash a few rows per project and day instead of every row three times. The usage sums
-- are usage_data's as its triggers keep them (finops.usage_project_daily, migration 0026).
WITH usage_models AS (
    SELECT u.team_id, u.usage_date, u.project_id, u.model, u.input_tokens, u.cache_read_tokens, u.output_tokens
    FROM finops.usage_project_daily u
    WHERE u.provider = 'openai' AND {provider} = 'openai'
      AND u.usage_date >= {window_start} AND u.usage_date < {window_end}
      AND ({team_ids} IS NULL OR u.team_id = ANY({team_ids}))
), usage AS (
    SELECT u.team_id, u.usage_date, u.project_id, u.model, k.token_kind, k.tokens AS usage_tokens
    FROM usage_models u
    CROSS JOIN LATERAL (VALUES ('input', u.input_tokens), ('cached input', u.cache_read_tokens),
                               ('output', u.output_tokens)) AS k (token_kind, tokens)
), token_items AS (
    SELECT li.line_item, li.model, li.token_kind
    FROM finops.line_items li
    WHERE li.provider = 'openai' AND li.cost_kind = 'tokens' AND li.token_kind IN ('input', 'cached input', 'output')
), cost_items AS (
    SELECT c.team_id, c.usage_date, c.project_id, c.line_item,
           sum(CASE c.quantity_unit WHEN '1000_tokens' THEN c.quantity * 1000 ELSE c.quantity END) AS quantity
    FROM finops.cost_data c
    WHERE c.provider = 'openai' AND {provider} = 'openai' AND c.quantity_unit IN ('tokens', '1000_tokens')
      AND c.line_item IN (SELECT line_item FROM token_items)
      AND c.usage_date >= {window_start} AND c.usage_date < {window_end}
      AND ({team_ids} IS NULL OR c.team_id = ANY({team_ids}))
    GROUP BY 1, 2, 3, 4
), costs AS (
    SELECT c.team_id, c.usage_date, c.project_id, li.model, li.token_kind, sum(c.quantity) AS cost_quantity
    FROM cost_items c
    JOIN token_items li ON li.line_item = c.line_item
    GROUP BY 1, 2, 3, 4, 5
), days AS (
    SELECT DISTINCT team_id, usage_date FROM usage_models
)
SELECT COALESCE(c.team_id, u.team_id) AS team_id, COALESCE(c.usage_date, u.usage_date) AS usage_date,
       COALESCE(c.project_id, u.project_id) AS project_id, COALESCE(c.model, u.model) AS model,
       COALESCE(c.token_kind, u.token_kind) AS token_kind,
       COALESCE(c.cost_quantity, 0) AS cost_quantity, COALESCE(u.usage_tokens, 0) AS usage_tokens
FROM costs c
FULL JOIN usage u USING (team_id, usage_date, project_id, model, token_kind)
JOIN days d ON d.team_id = COALESCE(c.team_id, u.team_id) AND d.usage_date = COALESCE(c.usage_date, u.usage_date)
WHERE COALESCE(c.cost_quantity, 0) <> COALESCE(u.usage_tokens, 0)
ORDER BY 1, 2, 3, 4, 5
