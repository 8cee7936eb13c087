-- Analytics tables are derived from cost_data and collection_runs: dropping them loses no collected cost.
DROP INDEX IF EXISTS finops.collection_runs_success_finished;
DROP TABLE IF EXISTS finops.restatements;
DROP TABLE IF EXISTS finops.spend_model_daily;
DROP TABLE IF EXISTS finops.spend_project_daily;
DROP TABLE IF EXISTS finops.spend_daily;
DROP TABLE IF EXISTS finops.line_items;
