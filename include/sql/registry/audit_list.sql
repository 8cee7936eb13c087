SELECT audit_id, at, actor, action, team_id, provider, fingerprint, detail
FROM finops.audit_log
WHERE (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
ORDER BY at DESC, audit_id DESC
LIMIT %(limit)s;
