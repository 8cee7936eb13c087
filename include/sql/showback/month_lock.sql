-- Serialise the statements of one team and month (two runs never issue the same version twice).
SELECT pg_advisory_xact_lock(hashtextextended('finops.statement:' || %(team_id)s || ':' || %(month)s, 0));
