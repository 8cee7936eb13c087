-- Per team and provider, the exclusive end of the days its successful collections reached (at most as_of):
-- a forecast counts the days up to there as known, and says so when they stop short of as_of.
SELECT team_id, provider::text AS provider, least(max(window_end), %(as_of)s::date) AS collected_until
FROM finops.collection_runs
WHERE status = 'success' AND window_start < %(as_of)s
  AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
GROUP BY team_id, provider;
