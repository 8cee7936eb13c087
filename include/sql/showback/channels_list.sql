SELECT team_id, email, slack_conn_id, webhook_conn_id, updated_at, updated_by
FROM finops.team_channels
WHERE %(team_id)s::text IS NULL OR team_id = %(team_id)s
ORDER BY team_id;
