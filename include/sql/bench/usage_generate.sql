-- Usage behind the analytics bench's costs (analytics_generate.sql): per team, day and project, gpt-4o (input and
-- cache reads, output), batch gpt-4o-mini (output) and text-embedding-3-small (input), 3 usage rows; tokens are
-- deterministic for a given seed. 1,000 teams x 365 days is about 3.3 million rows.
INSERT INTO finops.usage_data (provider, team_id, usage_date, project_id, endpoint, model, batch, requests,
                               input_tokens, cache_read_tokens, output_tokens, collected_at, dag_run_id)
SELECT 'openai', 'anl' || lpad(t::text, 4, '0'), d::date,
       CASE p WHEN 2 THEN 'unassigned' ELSE 'proj_anl' || lpad(t::text, 4, '0') || 'p' || p END,
       (ARRAY['completions', 'completions', 'embeddings'])[i],
       (ARRAY['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'text-embedding-3-small'])[i],
       i = 2, 50 + (random() * 500)::int,
       CASE WHEN i <> 2 THEN 100000 + (random() * 900000 * (1 + t %% 17))::bigint ELSE 0 END,
       CASE WHEN i = 1 THEN (random() * 400000)::bigint ELSE 0 END,
       CASE WHEN i <> 3 THEN 20000 + (random() * 200000 * (1 + t %% 17))::bigint ELSE 0 END,
       now(), 'bench'
FROM generate_series(0, %(teams)s - 1) AS t,
     generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d,
     generate_series(0, 2) AS p,
     generate_series(1, 3) AS i;
