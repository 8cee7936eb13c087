-- FOCUS 1.2 Cost and Usage rows of one billing month of OpenAI costs: one row per cost_data row.
-- A token row without a quantity of its own takes the usage tokens of its day, project, model, kind and batch
-- flag from finops.usage_data (docs/usage.md); x_QuantityUnit stays the cost row's own.
-- Every value is text in its FOCUS format (COPY writes it as CSV; the Parquet writer types it).
-- Column sources: docs/focus.md. The column list and order match focus_anthropic.sql.
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
    'OpenAI'                                                          AS "InvoiceIssuerName",
    c.amount::text                                                    AS "ListCost",
    CASE WHEN c.unit IS NOT NULL THEN c.known_quantity::text END      AS "PricingQuantity",
    c.unit                                                            AS "PricingUnit",
    'OpenAI'                                                          AS "ProviderName",
    'OpenAI'                                                          AS "PublisherName",
    'AI and Machine Learning'                                         AS "ServiceCategory",
    'OpenAI API'                                                      AS "ServiceName",
    'Generative AI'                                                   AS "ServiceSubcategory",
    c.line_item                                                       AS "SkuId",
    c.line_item                                                       AS "SkuPriceId",
    nullif(c.project_id, 'unassigned')                                AS "SubAccountId",
    CASE WHEN c.project_id <> 'unassigned' THEN coalesce(p.name, c.project_id) END AS "SubAccountName",
    CASE WHEN c.project_id <> 'unassigned' THEN 'Project' END         AS "SubAccountType",
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
    -- OpenAI's quantity_unit in FOCUS units: PricingUnit as reported, ConsumedUnit without the quantity
    -- prefix (1000 Tokens -> Tokens, quantity x 1000). An unknown unit is title-cased (the raw one stays in
    -- x_QuantityUnit). No quantity or no unit: both stay null, never invented.
    SELECT c.*,
           CASE WHEN c.known_quantity IS NOT NULL AND c.known_unit IS NOT NULL
                THEN coalesce(m.unit, initcap(replace(c.known_unit, '_', ' '))) END AS unit,
           coalesce(m.consumed_unit, m.unit, initcap(replace(c.known_unit, '_', ' '))) AS consumed_unit,
           coalesce(m.factor, 1) AS factor
    FROM (
        SELECT c.*,
               CASE WHEN c.quantity IS NOT NULL AND c.quantity_unit IS NOT NULL THEN c.quantity ELSE ut.tokens END
                   AS known_quantity,
               CASE WHEN c.quantity IS NOT NULL AND c.quantity_unit IS NOT NULL THEN c.quantity_unit
                    WHEN ut.tokens IS NOT NULL THEN 'tokens' END AS known_unit
        FROM finops.cost_data c
        LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
        LEFT JOIN LATERAL (
            SELECT nullif(sum(CASE li.token_kind WHEN 'input' THEN u.input_tokens
                                                 WHEN 'cached input' THEN u.cache_read_tokens
                                                 WHEN 'output' THEN u.output_tokens END), 0) AS tokens
            FROM finops.usage_data u
            WHERE u.provider = c.provider AND u.team_id = c.team_id AND u.usage_date = c.usage_date
              AND u.project_id = c.project_id AND u.model = li.model
              AND (u.batch IS TRUE) = (li.tier = 'batch')
        ) ut ON (c.quantity IS NULL OR c.quantity_unit IS NULL) AND li.cost_kind = 'tokens' AND li.qualifier IS NULL
              AND li.token_kind IN ('input', 'cached input', 'output')
        WHERE c.provider = 'openai'
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
