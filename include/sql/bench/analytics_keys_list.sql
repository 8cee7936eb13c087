-- The keys as the providers list them: a name, the redacted value, an owner (a user for most, a service account
-- for every fifth), a last use for three in four (the others show their last day with spend).
INSERT INTO finops.api_keys (provider, team_id, api_key_id, project_id, name, redacted_value, owner_type, owner_id,
                             owner_name, owner_email, status, created_at, last_used_at, first_seen_at, last_seen_at)
SELECT 'openai', 'anl' || lpad(t::text, 4, '0'),
       'key_anl' || lpad(t::text, 4, '0') || 'p' || p || 'k' || lpad(k::text, 2, '0'),
       'proj_anl' || lpad(t::text, 4, '0') || 'p' || p, 'service-' || p || '-' || k,
       'sk-proj-****' || lpad(k::text, 4, '0'), CASE WHEN k %% 5 = 4 THEN 'service_account' ELSE 'user' END,
       'user-' || t || '-' || (k %% 7),
       CASE WHEN k %% 5 = 4 THEN 'svc-' || t || '-' || k END,
       CASE WHEN k %% 5 <> 4 THEN 'dev' || (k %% 7) || '@team' || t || '.example.com' END,
       'active', %(first)s::timestamptz, CASE WHEN k %% 4 <> 3 THEN %(last)s::timestamptz + interval '13 hours' END,
       now(), now()
FROM generate_series(0, %(teams)s - 1) AS t, generate_series(0, 1) AS p, generate_series(0, %(keys)s - 1) AS k
ON CONFLICT (provider, team_id, api_key_id) DO NOTHING;
