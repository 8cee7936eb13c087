-- The latest %(limit)s audit entries of each of several teams in one query (index audit_log_team_at).
SELECT audit_id, at, actor, action, team_id, provider, fingerprint, detail
FROM (
    SELECT a.*, row_number() OVER (PARTITION BY a.team_id ORDER BY a.at DESC, a.audit_id DESC) AS n
    FROM finops.audit_log a
    WHERE a.team_id = ANY(%(team_ids)s)
) recent
WHERE n <= %(limit)s
ORDER BY team_id, at DESC, audit_id DESC;
