-- Taken by a load before it deletes its window: the old rows' model sums it will subtract were read with the
-- line items' dimensions of that moment, so a re-parse (lock_model_daily.sql) waits for the load to commit,
-- and a load waits for a running re-parse, instead of one subtracting under dimensions the other replaced.
LOCK TABLE finops.spend_model_daily IN ROW EXCLUSIVE MODE;
