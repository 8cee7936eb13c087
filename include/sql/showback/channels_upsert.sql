-- Set a team's channels; a NULL parameter keeps what is there, an empty list / empty text clears it.
INSERT INTO finops.team_channels (team_id, email, slack_conn_id, webhook_conn_id, updated_by)
VALUES (%(team_id)s, coalesce(%(email)s::text[], '{}'), nullif(%(slack_conn_id)s, ''), nullif(%(webhook_conn_id)s, ''),
        %(actor)s)
ON CONFLICT (team_id) DO UPDATE SET
    email           = coalesce(%(email)s::text[], finops.team_channels.email),
    slack_conn_id   = CASE WHEN %(slack_conn_id)s::text IS NULL THEN finops.team_channels.slack_conn_id
                           ELSE nullif(%(slack_conn_id)s, '') END,
    webhook_conn_id = CASE WHEN %(webhook_conn_id)s::text IS NULL THEN finops.team_channels.webhook_conn_id
                           ELSE nullif(%(webhook_conn_id)s, '') END,
    updated_at      = now(),
    updated_by      = excluded.updated_by
RETURNING team_id, email, slack_conn_id, webhook_conn_id, updated_at, updated_by;
