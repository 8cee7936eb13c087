-- Alerts told in another alert's message (thresholds crossed at once) or muted: recorded, not sent on their own.
UPDATE finops.alerts SET details = details || %(facts)s
WHERE alert_id = ANY (%(alert_ids)s::bigint[]);
