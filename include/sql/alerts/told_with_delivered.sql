-- Alerts told in another alert's message are delivered when that alert is, through its channels.
UPDATE finops.alerts AS f
SET delivered_at = h.delivered_at, channels = h.channels
FROM finops.alerts AS h
WHERE f.delivered_at IS NULL AND f.details ? 'told_with'
  AND h.alert_id = (f.details ->> 'told_with')::bigint AND h.delivered_at IS NOT NULL;
