-- Spend in [start, end) per team, provider and API key (NULL: spend with no key, per reason), with what names the
-- key: the overview's and team page's "Top keys and owners" (finops/attribution/panel.py).
SELECT c.team_id, c.provider::text AS provider, c.api_key_id, c.currency,
       CASE
           WHEN c.api_key_id IS NOT NULL THEN NULL
           WHEN c.project_id = 'unassigned' THEN 'organization-level'
           WHEN c.provider = 'anthropic' AND c.allocated THEN 'Console/Workbench'
           WHEN c.provider = 'openai' AND li.cost_kind = 'tokens' THEN 'Playground'
           ELSE 'not reported per key'
       END AS unattributed_reason,
       sum(c.amount) AS amount, bool_or(c.allocated) AS allocated,
       min(k.name) AS key_name, min(k.redacted_value) AS redacted_value,
       min(COALESCE(k.owner_email, k.owner_name, k.owner_id)) AS owner, min(k.last_used_at) AS last_used_at,
       max(c.usage_date) AS last_day, min(k.status) AS status
FROM finops.cost_data c
LEFT JOIN finops.api_keys k ON k.provider = c.provider AND k.team_id = c.team_id AND k.api_key_id = c.api_key_id
LEFT JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item
WHERE c.usage_date >= %(start)s AND c.usage_date < %(end)s
  AND (%(provider)s::text IS NULL OR c.provider = %(provider)s)
  AND (%(team_id)s::text IS NULL OR c.team_id = %(team_id)s)
  AND (%(teams)s::text[] IS NULL OR c.team_id = ANY(%(teams)s::text[]))
GROUP BY 1, 2, 3, 4, 5;
