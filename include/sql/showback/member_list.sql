SELECT team_id, username, role, added_at, added_by
FROM finops.team_members
WHERE %(team_id)s::text IS NULL OR team_id = %(team_id)s
ORDER BY team_id, username;
