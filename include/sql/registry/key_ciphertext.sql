SELECT key_id, ciphertext, fingerprint
FROM finops.admin_keys
WHERE team_id = %(team_id)s AND status = 'active';
