-- A team's keys, newest first; of one provider, or of every provider when %(provider)s is null.
SELECT key_id, team_id, provider, redacted, fingerprint, status, kms_key_id, created_at, created_by,
       last_verified_at, rotated_at, revoked_at, revoked_by
FROM finops.admin_keys
WHERE team_id = %(team_id)s AND (%(provider)s::text IS NULL OR provider = %(provider)s)
ORDER BY created_at DESC, key_id DESC;
