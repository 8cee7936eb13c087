-- When the data was last collected: the latest successful collection (optionally one provider, one team or a user's teams).
SELECT max(finished_at)
FROM finops.collection_runs
WHERE status = 'success'
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
  AND (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
  AND (%(teams)s::text[] IS NULL OR team_id = ANY(%(teams)s::text[]));
