-- The analytics bench's per-key shape (issue 26; `--analytics-keys N`, finops/bench/keys.py): the two projects of
-- each team (analytics_generate.sql then writes the unassigned project only, with no key) spend through N keys
-- each. Realistic rather than uniform: key k uses a line item on a day with probability 0.6 x 0.7^k (a few busy
-- service keys, a long tail of occasional ones: about 2 keys per project, line item and day at N = 20, so not
-- every key uses every line item every day), and 15 %% of (project, line item, day) also have spend with no key
-- (the Playground, not reported per key). Amounts carry 15 decimals; deterministic for a given seed.
INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, quantity,
                              quantity_unit, organization_id, collected_at, dag_run_id, api_key_id)
SELECT 'openai', 'anl' || lpad(t::text, 4, '0'), d::date, 'proj_anl' || lpad(t::text, 4, '0') || 'p' || p,
       (ARRAY['gpt-4o-2024-08-06, input', 'gpt-4o-2024-08-06, cached input', 'gpt-4o-2024-08-06, output',
              'batch | gpt-4o-mini-2024-07-18, output', 'text-embedding-3-small', 'web search tool calls'])[i],
       'usd', round((random() * (1 + t %% 17) / (k + 2))::numeric, 15), 1000, 'tokens', 'org-anl', now(), 'bench',
       CASE WHEN k >= 0 THEN 'key_anl' || lpad(t::text, 4, '0') || 'p' || p || 'k' || lpad(k::text, 2, '0') END
FROM generate_series(0, %(teams)s - 1) AS t,
     generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d,
     generate_series(0, 1) AS p,
     generate_series(1, 6) AS i,
     generate_series(-1, %(keys)s - 1) AS k
WHERE random() < CASE WHEN k < 0 THEN 0.15 ELSE 0.6 * power(0.7, k) END;

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
