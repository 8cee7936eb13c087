-- Cost rows whose project_id (scope) is neither OpenAI's 'unassigned' nor registered for the team and provider (a project that
-- was registered and later removed still counts: its history stays valid).
-- GX renders {batch} bare inside a query with a JOIN, so the query aliases it itself.
SELECT b.team_id, b.usage_date, b.project_id, b.line_item, b.currency
FROM {batch} b
LEFT JOIN finops.projects p
  ON p.provider = b.provider AND p.team_id = b.team_id AND p.project_id = b.project_id
WHERE NOT (b.provider = 'openai' AND b.project_id = 'unassigned')
  AND p.project_id IS NULL
ORDER BY b.team_id, b.usage_date, b.project_id, b.line_item
