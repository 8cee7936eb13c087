-- The teams a user belongs to, with the role (the scoped-access loader).
SELECT team_id, role
FROM finops.team_members
WHERE username = %(username)s
ORDER BY team_id;
