-- `finops report --by api_key|owner`: spend in [start, end) per API key (or owner) from finops.cost_data, with the
-- key's name, redacted value and owner from finops.api_keys, the allocated marker, and for spend without a key the
-- reason. {keys} and {select} come from fixed lists in finops/attribution/report.py, never user text.
WITH spend AS (
    SELECT c.team_id, c.provider::text AS provider, c.project_id, c.usage_date, c.api_key_id, c.allocated,
           c.currency, c.amount,
           k.name AS key_name, k.redacted_value, k.status AS key_status,
           COALESCE(k.owner_email, k.owner_name, k.owner_id) AS owner, k.owner_type,
           CASE
               WHEN c.api_key_id IS NOT NULL THEN NULL
               WHEN c.project_id = 'unassigned' THEN 'organization-level'
               WHEN c.provider = 'anthropic' AND c.allocated THEN 'Console/Workbench'
               WHEN c.provider = 'openai' AND li.cost_kind = 'tokens' THEN 'Playground'
               ELSE 'not reported per key'
           END AS unattributed_reason
    FROM finops.cost_data c
    LEFT JOIN finops.api_keys k ON k.provider = c.provider AND k.team_id = c.team_id AND k.api_key_id = c.api_key_id
    LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
    WHERE c.usage_date >= %(start)s AND c.usage_date < %(end)s
      AND (%(provider)s::text IS NULL OR c.provider = %(provider)s)
      AND (%(team_id)s::text IS NULL OR c.team_id = %(team_id)s)
      AND (%(teams)s::text[] IS NULL OR c.team_id = ANY(%(teams)s::text[]))
)
SELECT {select}, sum(amount) AS amount, count(*) AS cost_rows
FROM spend
GROUP BY {keys}
ORDER BY {keys};
