-- The team list: every team with, per provider, its newest key's status and its latest collection attempt.
SELECT t.team_id, t.name, t.active, p.provider, k.status AS key_status, r.status AS run_status, r.finished_at
FROM finops.teams AS t
CROSS JOIN unnest(%(providers)s::text[]) AS p(provider)
LEFT JOIN LATERAL (
    SELECT a.status
    FROM finops.admin_keys AS a
    WHERE a.team_id = t.team_id AND a.provider = p.provider
    ORDER BY a.status = 'active' DESC, a.created_at DESC, a.key_id DESC
    LIMIT 1
) AS k ON true
LEFT JOIN LATERAL (
    SELECT c.status, c.finished_at
    FROM finops.collection_runs AS c
    WHERE c.team_id = t.team_id AND c.provider = p.provider
    ORDER BY c.finished_at DESC, c.run_id DESC
    LIMIT 1
) AS r ON true
ORDER BY t.team_id, p.provider;
