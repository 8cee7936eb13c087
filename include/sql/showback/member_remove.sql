DELETE FROM finops.team_members
WHERE team_id = %(team_id)s AND username = %(username)s
RETURNING team_id, username, role, added_at, added_by;
