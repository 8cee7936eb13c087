-- The analytics bench's teams (anl0000 ...), added when missing.
INSERT INTO finops.teams (team_id, name, created_by)
SELECT 'anl' || lpad(n::text, 4, '0'), 'Analytics bench team ' || n, 'cli:bench'
FROM generate_series(0, %(teams)s - 1) AS n
ON CONFLICT (team_id) DO NOTHING;
