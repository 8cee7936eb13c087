-- The active teams a provider's DAG collects: those with an active Admin key or an active scope of that
-- provider. A team with nothing registered for any provider belongs to the default provider (OpenAI),
-- whose run fails it with the actionable reason (no key, no project IDs).
SELECT t.team_id
FROM finops.teams t
WHERE t.active
  AND (
      EXISTS (SELECT 1 FROM finops.admin_keys k
              WHERE k.team_id = t.team_id AND k.provider = %(provider)s AND k.status = 'active')
      OR EXISTS (SELECT 1 FROM finops.projects p
                 WHERE p.team_id = t.team_id AND p.provider = %(provider)s AND p.active)
      OR (%(provider)s = 'openai'
          AND NOT EXISTS (SELECT 1 FROM finops.admin_keys k WHERE k.team_id = t.team_id AND k.status = 'active')
          AND NOT EXISTS (SELECT 1 FROM finops.projects p WHERE p.team_id = t.team_id AND p.active))
  )
ORDER BY t.team_id;
