SELECT key_id, ciphertext, fingerprint
FROM finops.admin_keys
WHERE team_id = %(team_id)s AND provider = %(provider)s AND status = 'active';
