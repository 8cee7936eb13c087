DROP TABLE IF EXISTS finops.usage_data;
