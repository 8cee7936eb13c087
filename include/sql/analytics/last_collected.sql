-- When the data was last collected: the latest successful collection (optionally one provider or team).
SELECT max(finished_at)
FROM finops.collection_runs
WHERE status = 'success'
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
  AND (%(team_id)s::text IS NULL OR team_id = %(team_id)s);
