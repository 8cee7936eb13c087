-- End a team's mutes of one kind now (history is kept).
UPDATE finops.alert_mutes SET cancelled_at = clock_timestamp(), cancelled_by = %(actor)s
WHERE team_id = %(team_id)s AND kind = %(kind)s AND cancelled_at IS NULL
RETURNING mute_id, team_id, kind, until, reason, created_at, created_by;
