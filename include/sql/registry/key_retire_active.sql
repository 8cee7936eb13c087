-- Rotation or revocation of one provider's active key: it keeps its metadata, loses its ciphertext.
UPDATE finops.admin_keys
SET status = %(status)s,
    ciphertext = NULL,
    rotated_at = CASE WHEN %(status)s = 'rotated' THEN now() ELSE rotated_at END,
    revoked_at = CASE WHEN %(status)s = 'revoked' THEN now() ELSE revoked_at END,
    revoked_by = CASE WHEN %(status)s = 'revoked' THEN %(actor)s ELSE revoked_by END
WHERE team_id = %(team_id)s AND provider = %(provider)s AND status = 'active'
RETURNING key_id, team_id, provider, redacted, fingerprint, status, kms_key_id, created_at, created_by,
          last_verified_at, rotated_at, revoked_at, revoked_by;
