DROP TABLE IF EXISTS finops.success_rates;
DROP TABLE IF EXISTS finops.cost_data;
DROP TABLE IF EXISTS finops.collection_run_days;
DROP TABLE IF EXISTS finops.collection_runs;
DROP TABLE IF EXISTS finops.audit_log;
DROP TABLE IF EXISTS finops.admin_keys;
DROP TABLE IF EXISTS finops.projects;
DROP TABLE IF EXISTS finops.teams;
