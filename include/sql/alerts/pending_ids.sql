-- Alerts not yet delivered through every configured channel, oldest first; muted alerts, those told in
-- another alert's message (details told_with) and spikes judged too late to send (details not_sent) are never
-- sent on their own.
SELECT alert_id FROM finops.alerts
WHERE delivered_at IS NULL AND NOT (details ? 'muted') AND NOT (details ? 'told_with') AND NOT (details ? 'not_sent')
ORDER BY alert_id LIMIT %(limit)s;
