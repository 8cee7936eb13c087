INSERT INTO finops.audit_log (actor, action, team_id, provider, fingerprint, detail)
VALUES (%(actor)s, %(action)s, %(team_id)s, %(provider)s, %(fingerprint)s, %(detail)s);
