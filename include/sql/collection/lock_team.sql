-- Serialises concurrent loads of one team (two overlapping runs); released at commit or rollback.
SELECT pg_advisory_xact_lock(hashtext('finops.cost_data'), hashtext(%(team_id)s));
