-- Serialises concurrent loads of one team and provider (two overlapping runs); released at commit or rollback.
SELECT pg_advisory_xact_lock(hashtext('finops.cost_data:' || %(provider)s), hashtext(%(team_id)s));
