-- A key as listed now: inserted, or its row brought up to date (first_seen_at and created_at kept; a key listed
-- again after being missed is no longer deleted).
INSERT INTO finops.api_keys (provider, team_id, api_key_id, project_id, name, redacted_value, owner_type, owner_id,
                             owner_name, owner_email, status, created_at, last_used_at, first_seen_at, last_seen_at,
                             deleted_at)
VALUES (%(provider)s, %(team_id)s, %(api_key_id)s, %(project_id)s, %(name)s, %(redacted_value)s, %(owner_type)s,
        %(owner_id)s, %(owner_name)s, %(owner_email)s, %(status)s, %(created_at)s, %(last_used_at)s, %(seen_at)s,
        %(seen_at)s, CASE WHEN %(status)s = 'archived' THEN %(seen_at)s END)
ON CONFLICT (provider, team_id, api_key_id) DO UPDATE SET
    project_id = EXCLUDED.project_id,
    name = EXCLUDED.name,
    redacted_value = COALESCE(EXCLUDED.redacted_value, finops.api_keys.redacted_value),
    owner_type = COALESCE(EXCLUDED.owner_type, finops.api_keys.owner_type),
    owner_id = COALESCE(EXCLUDED.owner_id, finops.api_keys.owner_id),
    owner_name = COALESCE(EXCLUDED.owner_name, finops.api_keys.owner_name),
    owner_email = COALESCE(EXCLUDED.owner_email, finops.api_keys.owner_email),
    status = EXCLUDED.status,
    created_at = COALESCE(finops.api_keys.created_at, EXCLUDED.created_at),
    last_used_at = GREATEST(finops.api_keys.last_used_at, EXCLUDED.last_used_at),
    last_seen_at = EXCLUDED.last_seen_at,
    deleted_at = CASE WHEN EXCLUDED.status = 'archived'
                      THEN COALESCE(finops.api_keys.deleted_at, EXCLUDED.last_seen_at) END;
