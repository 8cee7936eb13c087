-- finops.usage_project_daily recomputed whole from usage_data (migration 0026's fill, and part of a rebuild of the
-- rollups: the triggers keep it equal to usage_data, a rebuild also repairs what they could not see, such as a
-- restore with triggers disabled).
SET LOCAL work_mem = '256MB';  -- one big GROUP BY: hashed in memory rather than sorted on disk
TRUNCATE finops.usage_project_daily;
INSERT INTO finops.usage_project_daily
SELECT provider, team_id, usage_date, project_id, model, count(*), count(requests), COALESCE(sum(requests), 0),
       sum(input_tokens), sum(cache_read_tokens), sum(cache_write_tokens), COALESCE(sum(cache_write_5m_tokens), 0),
       COALESCE(sum(cache_write_1h_tokens), 0), sum(output_tokens)
FROM finops.usage_data
GROUP BY provider, team_id, usage_date, project_id, model
ORDER BY usage_date;
