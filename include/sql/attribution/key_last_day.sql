-- The last day in [start, end) each of these keys had spend (key_panel.sql's top keys whose provider reports no
-- last use), from spend_key_daily.
SELECT k.team_id, k.provider::text, k.api_key_id, max(k.usage_date)
FROM unnest(%(team_ids)s::text[], %(providers)s::text[], %(api_key_ids)s::text[]) AS w (team_id, provider, api_key_id)
JOIN finops.spend_key_daily AS k
  ON k.team_id = w.team_id AND k.provider = w.provider::finops.provider AND k.api_key_id = w.api_key_id
WHERE k.usage_date >= %(start)s AND k.usage_date < %(end)s AND k.currency = %(currency)s
GROUP BY 1, 2, 3;
