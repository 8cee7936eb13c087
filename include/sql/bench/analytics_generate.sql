-- teams x days x 18 cost rows (2 projects and the unassigned one, 6 line items each) in one statement;
-- amounts carry 15 decimals like the API's float noise, deterministic for a given seed. With keys (`keys` > 0) the
-- unassigned project only: analytics_keys_generate.sql writes the two projects' rows per key.
INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, quantity,
                              quantity_unit, organization_id, collected_at, dag_run_id)
SELECT 'openai', 'anl' || lpad(t::text, 4, '0'), d::date,
       CASE p WHEN 2 THEN 'unassigned' ELSE 'proj_anl' || lpad(t::text, 4, '0') || 'p' || p END,
       (ARRAY['gpt-4o-2024-08-06, input', 'gpt-4o-2024-08-06, cached input', 'gpt-4o-2024-08-06, output',
              'batch | gpt-4o-mini-2024-07-18, output', 'text-embedding-3-small', 'web search tool calls'])[i],
       'usd', round((random() * (1 + t %% 17))::numeric, 15), 1000, 'tokens', 'org-anl', now(), 'bench'
FROM generate_series(0, %(teams)s - 1) AS t,
     generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d,
     generate_series(0, 2) AS p,
     generate_series(1, 6) AS i
WHERE p = 2 OR %(keys)s = 0;
