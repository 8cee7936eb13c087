-- Daily spend per team, provider and API key on [start_date, end_date) (spend without a key left out), with the
-- key's name, redacted value, owner and project from finops.api_keys: the series of the `api_key:<id>` scope.
SELECT c.team_id, c.provider::text AS provider, c.api_key_id, c.currency, c.usage_date, sum(c.amount) AS amount,
       min(k.name) AS key_name, min(k.redacted_value) AS redacted_value,
       min(COALESCE(k.owner_email, k.owner_name, k.owner_id)) AS owner, min(COALESCE(k.project_id, c.project_id)) AS project_id
FROM finops.cost_data c
LEFT JOIN finops.api_keys k ON k.provider = c.provider AND k.team_id = c.team_id AND k.api_key_id = c.api_key_id
WHERE c.api_key_id IS NOT NULL AND c.usage_date >= %(start_date)s AND c.usage_date < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR c.team_id = ANY (%(team_ids)s::text[]))
GROUP BY c.team_id, c.provider, c.api_key_id, c.currency, c.usage_date
ORDER BY c.team_id, c.provider, c.api_key_id, c.currency, c.usage_date;
