-- The fact tables' rows are checked per load, not per row (docs/operations/database-migrations.md, 0022): every row
-- of cost_data and usage_data is written by the loader in the transaction that inserts its collection run, and that
-- run's row is checked against finops.teams (collection_runs keeps its foreign key, and with it the team's row is
-- locked until the commit). A row-level foreign key ran one trigger query per row on top of that: about 6 us a row
-- for the team, 4 us for the run, half the cost of writing a usage row (docs/performance.md, section 2). The data
-- quality suite still proves every cost row was loaded by the run that recorded it (reconciled_with_collection_runs).
ALTER TABLE finops.cost_data DROP CONSTRAINT cost_data_team_id_fkey;
ALTER TABLE finops.usage_data DROP CONSTRAINT usage_data_team_id_fkey;
ALTER TABLE finops.usage_data DROP CONSTRAINT usage_data_collection_run_id_fkey;
