-- The overview's and team page's "Top keys and owners" (finops.attribution.panel.key_panel) from the key rollups:
-- the period's whole months from spend_key_monthly, its other days from spend_key_daily (finops.analytics
-- rollups; equal to cost_data). The same figures as key_spend.sql's read of cost_data, to the last digit, summed
-- here (numeric sums are exact): one row of kind 'total' (amount of every row in the currency, the count of keys
-- in 'rows'), the top keys and top owners by amount (ties by label, byte order as Python's sort), every
-- unattributed reason.
WITH src AS (
    SELECT team_id, provider, project_id, api_key_id, allocated, cost_kind, amount
    FROM finops.spend_key_monthly
    WHERE month = ANY (%(months)s::date[]) AND currency = %(currency)s
      AND (%(provider)s::text IS NULL OR provider = %(provider)s::finops.provider)
      AND (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR team_id = ANY (%(teams)s::text[]))
    UNION ALL
    SELECT k.team_id, k.provider, k.project_id, k.api_key_id, k.allocated, k.cost_kind, k.amount
    FROM unnest(%(range_starts)s::date[], %(range_ends)s::date[]) AS r (first_day, stop)
    JOIN finops.spend_key_daily AS k ON k.usage_date >= r.first_day AND k.usage_date < r.stop
    WHERE k.currency = %(currency)s
      AND (%(provider)s::text IS NULL OR k.provider = %(provider)s::finops.provider)
      AND (%(team_id)s::text IS NULL OR k.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR k.team_id = ANY (%(teams)s::text[]))
), keyed AS (
    SELECT s.team_id, s.provider, s.api_key_id, sum(s.amount) AS amount, bool_or(s.allocated) AS allocated
    FROM src AS s
    WHERE s.api_key_id IS NOT NULL
    GROUP BY 1, 2, 3
), keys AS (
    SELECT g.team_id, g.provider, g.api_key_id, g.amount, g.allocated,
           COALESCE(NULLIF(k.name, ''), g.api_key_id) AS label, k.redacted_value,
           COALESCE(k.owner_email, k.owner_name, k.owner_id) AS owner, k.last_used_at, k.status
    FROM keyed AS g
    LEFT JOIN finops.api_keys AS k
           ON k.provider = g.provider AND k.team_id = g.team_id AND k.api_key_id = g.api_key_id
), reasons AS (
    SELECT CASE
               WHEN s.project_id = 'unassigned' THEN 'organization-level'
               WHEN s.provider = 'anthropic' AND s.allocated THEN 'Console/Workbench'
               WHEN s.provider = 'openai' AND s.cost_kind = 'tokens' THEN 'Playground'
               ELSE 'not reported per key'
           END AS reason, sum(s.amount) AS amount
    FROM src AS s
    WHERE s.api_key_id IS NULL
    GROUP BY 1
)
SELECT 'total' AS kind, NULL AS team_id, NULL AS provider, NULL AS api_key_id, NULL AS label,
       (SELECT sum(amount) FROM src) AS amount, NULL::boolean AS allocated, NULL AS redacted_value,
       NULL AS owner, NULL::timestamptz AS last_used_at, NULL AS status, (SELECT count(*) FROM keyed) AS rows
UNION ALL
SELECT 'reason', NULL, NULL, NULL, reason, amount, NULL, NULL, NULL, NULL, NULL, NULL
FROM reasons
UNION ALL
(SELECT 'key', team_id, provider::text, api_key_id, label, amount, allocated, redacted_value, owner, last_used_at, status,
        NULL
 FROM keys
 ORDER BY amount DESC, label COLLATE "C", team_id COLLATE "C", provider::text, api_key_id COLLATE "C"
 LIMIT %(top)s)
UNION ALL
(SELECT 'owner', team_id, provider, NULL, owner, amount, allocated, NULL, NULL, NULL, NULL, NULL
 FROM (SELECT team_id, CASE WHEN count(DISTINCT provider) = 1 THEN min(provider::text) ELSE '' END AS provider,
              COALESCE(NULLIF(owner, ''), '(unknown owner)') AS owner, sum(amount) AS amount,
              bool_or(allocated) AS allocated
       FROM keys
       GROUP BY team_id, COALESCE(NULLIF(owner, ''), '(unknown owner)')) AS o
 ORDER BY amount DESC, owner COLLATE "C", team_id COLLATE "C"
 LIMIT %(top)s);
