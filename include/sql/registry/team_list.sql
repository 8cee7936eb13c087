SELECT team_id, name, active, created_at, created_by
FROM finops.teams
WHERE active OR %(include_inactive)s
ORDER BY team_id;
