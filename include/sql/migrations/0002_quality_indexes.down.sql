DROP INDEX IF EXISTS finops.collection_runs_success_window;
