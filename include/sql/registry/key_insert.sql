INSERT INTO finops.admin_keys (team_id, provider, ciphertext, kms_key_id, redacted, fingerprint, status, created_by,
                               last_verified_at)
VALUES (%(team_id)s, %(provider)s, %(ciphertext)s, %(kms_key_id)s, %(redacted)s, %(fingerprint)s, 'active', %(actor)s,
        CASE WHEN %(verified)s THEN now() END)
RETURNING key_id, team_id, provider, redacted, fingerprint, status, kms_key_id, created_at, created_by,
          last_verified_at, rotated_at, revoked_at, revoked_by;
