-- The changed days as now loaded: their rows and digest, and the run that wrote them. After their rows' COPY, whose
-- trigger (usage_data_forgets_days_on_insert) forgot them.
INSERT INTO finops.usage_days (provider, team_id, usage_date, rows, digest, collection_run_id)
SELECT %(provider)s, %(team_id)s, day.usage_date, day.rows, day.digest, %(run_id)s
FROM unnest(%(days)s::date[], %(rows)s::integer[], %(digests)s::bytea[]) AS day (usage_date, rows, digest)
ON CONFLICT (provider, team_id, usage_date) DO UPDATE
    SET rows = EXCLUDED.rows, digest = EXCLUDED.digest, collection_run_id = EXCLUDED.collection_run_id;
