-- A collection run's id, taken before its rows are fetched (each spooled row carries it). Ids give
-- the order loads started in; the order they were committed in is finished_at's.
SELECT nextval(pg_get_serial_sequence('finops.collection_runs', 'run_id'));
