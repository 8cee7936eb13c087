-- Key metadata (never ciphertext) of several teams in one query, newest first within each team and provider.
SELECT key_id, team_id, provider, redacted, fingerprint, status, kms_key_id, created_at, created_by,
       last_verified_at, rotated_at, revoked_at, revoked_by
FROM finops.admin_keys
WHERE team_id = ANY(%(team_ids)s)
ORDER BY team_id, provider, created_at DESC, key_id DESC;
