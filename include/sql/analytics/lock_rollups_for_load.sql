-- Taken by a load before it deletes its window, and by a batch before it claims its loads' changes: a recompute
-- (re-parse, repair: lock_model_daily.sql) waits for them to commit, and they wait for a running recompute. So a
-- recompute claims exactly the loads cost_data holds and never a change a batch is applying, and a batch reads
-- the line items' dimensions no re-parse is changing.
LOCK TABLE finops.spend_model_daily IN ROW EXCLUSIVE MODE;
