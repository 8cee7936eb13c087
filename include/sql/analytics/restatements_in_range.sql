-- Restated days in a period: per provider, team, day and currency, the latest change and how many were seen.
SELECT DISTINCT ON (r.provider, r.team_id, r.usage_date, r.currency)
       r.provider, r.team_id, r.usage_date, r.currency, r.old_amount, r.new_amount, r.detected_at, r.dag_run_id,
       count(*) OVER (PARTITION BY r.provider, r.team_id, r.usage_date, r.currency) AS times
FROM finops.restatements AS r
WHERE r.usage_date >= %(start)s AND r.usage_date < %(end)s
  AND (%(provider)s::text IS NULL OR r.provider = %(provider)s)
  AND (%(team_id)s::text IS NULL OR r.team_id = %(team_id)s)
  AND (%(teams)s::text[] IS NULL OR r.team_id = ANY(%(teams)s::text[]))
ORDER BY r.provider, r.team_id, r.usage_date, r.currency, r.restatement_id DESC;
