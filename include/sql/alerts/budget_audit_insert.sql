INSERT INTO finops.audit_log (actor, action, team_id, provider, detail)
VALUES (%(actor)s, %(action)s, %(team_id)s, %(provider)s, %(detail)s);
