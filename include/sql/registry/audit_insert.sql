INSERT INTO finops.audit_log (actor, action, team_id, fingerprint, detail)
VALUES (%(actor)s, %(action)s, %(team_id)s, %(fingerprint)s, %(detail)s);
