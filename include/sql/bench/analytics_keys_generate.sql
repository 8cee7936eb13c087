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
-- The draw names every series (0 x ...): a filter on k alone would be drawn once per k and reused for every row.
WHERE random() + 0 * (t + p + i + extract(day FROM d)) < CASE WHEN k < 0 THEN 0.15 ELSE 0.6 * power(0.7, k) END;
