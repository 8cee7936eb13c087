-- Mute a team's alerts of one kind up to and including a day (UTC).
INSERT INTO finops.alert_mutes (team_id, kind, until, reason, created_by)
VALUES (%(team_id)s, %(kind)s, %(until)s, %(reason)s, %(actor)s)
RETURNING mute_id, team_id, kind, until, reason, created_at, created_by;
