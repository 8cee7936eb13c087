INSERT INTO finops.audit_log (actor, action, team_id, detail)
VALUES (%(actor)s, %(action)s, %(team_id)s, %(detail)s);
