-- The usage reconciliation and finops.usage_model_source read usage_data again (the view is put back first, by
-- 0023's file, in finops/warehouse/migrations/versions/0026_usage_project_daily.py).
DROP TRIGGER IF EXISTS usage_data_sums_on_insert ON finops.usage_data;
DROP TRIGGER IF EXISTS usage_data_sums_on_update ON finops.usage_data;
DROP TRIGGER IF EXISTS usage_data_sums_on_delete ON finops.usage_data;
DROP TRIGGER IF EXISTS usage_data_sums_on_truncate ON finops.usage_data;
DROP FUNCTION IF EXISTS finops.usage_data_sums();
DROP TABLE IF EXISTS finops.usage_project_daily;
