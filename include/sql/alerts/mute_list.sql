-- Mutes not cancelled that still hold on a day (every team, or one).
SELECT mute_id, team_id, kind, until, reason, created_at, created_by
FROM finops.alert_mutes
WHERE cancelled_at IS NULL AND until >= %(on_day)s
  AND (%(team_id)s::text IS NULL OR team_id = %(team_id)s)
ORDER BY team_id, kind, until DESC;
