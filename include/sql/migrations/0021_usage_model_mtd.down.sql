DROP TABLE IF EXISTS finops.usage_model_mtd;
