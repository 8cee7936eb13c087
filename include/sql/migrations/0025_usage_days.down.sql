-- Every load deletes and copies its whole window again, as before 0025.
DROP TRIGGER IF EXISTS usage_data_forgets_days_on_insert ON finops.usage_data;
DROP TRIGGER IF EXISTS usage_data_forgets_days_on_update ON finops.usage_data;
DROP TRIGGER IF EXISTS usage_data_forgets_days_on_delete ON finops.usage_data;
DROP TRIGGER IF EXISTS usage_data_forgets_days_on_truncate ON finops.usage_data;
DROP FUNCTION IF EXISTS finops.usage_days_forget();
DROP TABLE IF EXISTS finops.usage_days;
