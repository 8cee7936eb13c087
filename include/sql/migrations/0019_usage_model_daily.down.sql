DROP TABLE IF EXISTS finops.usage_model_daily;
DROP VIEW IF EXISTS finops.usage_model_source;
