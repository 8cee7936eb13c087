-- FOCUS 1.2 Cost and Usage rows of one billing month of Anthropic costs: one row per cost_data row.
-- project_id is the workspace ID (wrkspc_...) or `default` (the default workspace); line_item the cost
-- description. The cost report gives no quantity: a token row takes its tokens from finops.usage_data (same team,
-- day, workspace, model, service tier, context window and token type; docs/usage.md), other rows keep
-- PricingQuantity null (a counted deviation). x_QuantityUnit stays the cost report's own (null).
-- Every value is text in its FOCUS format (COPY writes it as CSV; the Parquet writer types it).
-- Column sources: docs/focus.md. The column list and order match focus_openai.sql.
SELECT
    c.amount::text                                                    AS "BilledCost",
    coalesce(c.organization_id, 'team:' || c.team_id)                 AS "BillingAccountId",
    NULL::text                                                        AS "BillingAccountName",
    upper(c.currency)                                                 AS "BillingCurrency",
    to_char(%(month_end)s::date, 'YYYY-MM-DD"T00:00:00Z"')            AS "BillingPeriodEnd",
    to_char(%(month_start)s::date, 'YYYY-MM-DD"T00:00:00Z"')          AS "BillingPeriodStart",
    'Usage'                                                           AS "ChargeCategory",
    NULL::text                                                        AS "ChargeClass",
    c.line_item                                                       AS "ChargeDescription",
    'Usage-Based'                                                     AS "ChargeFrequency",
    to_char(c.usage_date + 1, 'YYYY-MM-DD"T00:00:00Z"')               AS "ChargePeriodEnd",
    to_char(c.usage_date, 'YYYY-MM-DD"T00:00:00Z"')                   AS "ChargePeriodStart",
    CASE WHEN c.unit IS NOT NULL THEN (c.known_quantity * c.factor)::text END AS "ConsumedQuantity",
    CASE WHEN c.unit IS NOT NULL THEN c.consumed_unit END             AS "ConsumedUnit",
    c.amount::text                                                    AS "ContractedCost",
    c.amount::text                                                    AS "EffectiveCost",
    'Anthropic'                                                       AS "InvoiceIssuerName",
    c.amount::text                                                    AS "ListCost",
    CASE WHEN c.unit IS NOT NULL THEN c.known_quantity::text END      AS "PricingQuantity",
    c.unit                                                            AS "PricingUnit",
    'Anthropic'                                                       AS "ProviderName",
    'Anthropic'                                                       AS "PublisherName",
    'AI and Machine Learning'                                         AS "ServiceCategory",
    'Claude API'                                                      AS "ServiceName",
    'Generative AI'                                                   AS "ServiceSubcategory",
    c.line_item                                                       AS "SkuId",
    c.line_item                                                       AS "SkuPriceId",
    c.project_id                                                      AS "SubAccountId",
    coalesce(p.name, CASE c.project_id WHEN 'default' THEN 'Default workspace' ELSE c.project_id END)
                                                                      AS "SubAccountName",
    'Workspace'                                                       AS "SubAccountType",
    jsonb_build_object('team', c.team_id)::text                       AS "Tags",
    c.provider::text                                                  AS "x_Provider",
    c.team_id                                                         AS "x_TeamId",
    t.name                                                            AS "x_TeamName",
    c.project_id                                                      AS "x_ProjectId",
    c.organization_id                                                 AS "x_OrganizationId",
    c.line_item                                                       AS "x_LineItem",
    c.quantity_unit                                                   AS "x_QuantityUnit",
    to_char(c.collected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "x_CollectedAt",
    c.api_key_id                                                      AS "x_ApiKeyId",
    c.allocated::text                                                 AS "x_Allocated"
FROM (
    -- A quantity_unit (the cost report has none today) in FOCUS units, as for OpenAI: PricingUnit as
    -- reported, ConsumedUnit without the quantity prefix (1000 Tokens -> Tokens, quantity x 1000). An unknown
    -- unit is title-cased (the raw one stays in x_QuantityUnit). No quantity or no unit: both stay null.
    SELECT c.*,
           CASE WHEN c.known_quantity IS NOT NULL AND c.known_unit IS NOT NULL
                THEN coalesce(m.unit, initcap(replace(c.known_unit, '_', ' '))) END AS unit,
           coalesce(m.consumed_unit, m.unit, initcap(replace(c.known_unit, '_', ' '))) AS consumed_unit,
           coalesce(m.factor, 1) AS factor
    FROM (
        SELECT c.*,
               coalesce(c.quantity, ut.tokens) AS known_quantity,
               coalesce(c.quantity_unit, CASE WHEN ut.tokens IS NOT NULL THEN 'tokens' END) AS known_unit
        FROM finops.cost_data c
        LEFT JOIN LATERAL (
            SELECT nullif(sum(CASE c.token_type
                              WHEN 'uncached_input_tokens' THEN u.input_tokens
                              WHEN 'output_tokens' THEN u.output_tokens
                              WHEN 'cache_read_input_tokens' THEN u.cache_read_tokens
                              WHEN 'cache_creation.ephemeral_5m_input_tokens' THEN u.cache_write_5m_tokens
                              WHEN 'cache_creation.ephemeral_1h_input_tokens' THEN u.cache_write_1h_tokens
                          END), 0) AS tokens
            FROM finops.usage_data u
            WHERE u.provider = c.provider AND u.team_id = c.team_id AND u.usage_date = c.usage_date
              AND u.project_id = c.project_id AND u.model = c.model
              AND u.service_tier IS NOT DISTINCT FROM c.service_tier
              AND u.context_window IS NOT DISTINCT FROM c.context_window
              AND (NOT c.allocated OR u.api_key_id IS NOT DISTINCT FROM c.api_key_id)  -- a key's own tokens
        ) ut ON c.cost_type = 'tokens' AND c.token_type IS NOT NULL
        WHERE c.provider = 'anthropic'
          AND c.usage_date >= %(month_start)s AND c.usage_date < %(month_end)s
    ) c
    LEFT JOIN (VALUES ('tokens', 'Tokens', 'Tokens', 1),
                      ('1000_tokens', '1000 Tokens', 'Tokens', 1000),
                      ('images', 'Images', 'Images', 1),
                      ('characters', 'Characters', 'Characters', 1),
                      ('duration_seconds', 'Seconds', 'Seconds', 1),
                      ('duration_minutes', 'Minutes', 'Minutes', 1),
                      ('duration_hours', 'Hours', 'Hours', 1),
                      ('gibibyte_hours', 'GiB-Hours', 'GiB-Hours', 1),
                      ('gigabyte_days', 'GB-Days', 'GB-Days', 1)
              ) AS m (raw_unit, unit, consumed_unit, factor) ON m.raw_unit = c.known_unit
) c
JOIN finops.teams t ON t.team_id = c.team_id
LEFT JOIN finops.projects p ON p.team_id = c.team_id AND p.provider = c.provider AND p.project_id = c.project_id
ORDER BY c.usage_date, c.team_id, c.project_id, c.line_item, c.currency, c.api_key_id
