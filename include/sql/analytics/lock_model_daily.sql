-- Held by a recompute of spend_model_daily (re-parse, repair) until it commits: loads, which add their change
-- to it (ROW EXCLUSIVE), wait, so no change is applied to a group while it is being recomputed or lost.
LOCK TABLE finops.spend_model_daily IN SHARE ROW EXCLUSIVE MODE;
