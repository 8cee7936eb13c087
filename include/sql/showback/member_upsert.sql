-- Add a member, or change the role of one; returns the row as it is now.
INSERT INTO finops.team_members (team_id, username, role, added_by)
VALUES (%(team_id)s, %(username)s, %(role)s, %(actor)s)
ON CONFLICT (team_id, username) DO UPDATE SET role = excluded.role, added_at = now(), added_by = excluded.added_by
RETURNING team_id, username, role, added_at, added_by;
