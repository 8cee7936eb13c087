-- One API key of a team as last listed (the key's page).
SELECT api_key_id, project_id, name, redacted_value, owner_type, COALESCE(owner_email, owner_name, owner_id) AS owner,
       status, created_at, last_used_at, first_seen_at, last_seen_at, deleted_at
FROM finops.api_keys
WHERE provider = %(provider)s AND team_id = %(team_id)s AND api_key_id = %(api_key_id)s;
