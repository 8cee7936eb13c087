UPDATE finops.admin_keys SET last_verified_at = now()
WHERE team_id = %(team_id)s AND provider = %(provider)s AND status = 'active';
