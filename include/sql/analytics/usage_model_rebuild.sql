-- finops.usage_model_daily recomputed whole from cost_data, line_items and usage_data (rebuild of the rollups, after
-- bulk loads such as the bench's generated usage).
SET LOCAL work_mem = '256MB';  -- big GROUP BYs: hashed in memory rather than sorted on disk
TRUNCATE finops.usage_model_daily;
INSERT INTO finops.usage_model_daily
SELECT * FROM finops.usage_model_source
ORDER BY usage_date;  -- a period's rows stored together, as daily loads append them
