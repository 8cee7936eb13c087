-- One field of a key that changed since it was last seen (name, status, owner, project, redacted value).
INSERT INTO finops.api_key_changes (provider, team_id, api_key_id, changed_at, field, old_value, new_value)
VALUES (%(provider)s, %(team_id)s, %(api_key_id)s, %(seen_at)s, %(field)s, %(old_value)s, %(new_value)s);
