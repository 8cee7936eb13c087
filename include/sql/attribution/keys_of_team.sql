-- A team's known keys of one provider, as last seen (finops.attribution.store compares them with the new list).
SELECT api_key_id, project_id, name, redacted_value, owner_type, owner_id, owner_name, owner_email, status
FROM finops.api_keys
WHERE provider = %(provider)s AND team_id = %(team_id)s
FOR UPDATE;
