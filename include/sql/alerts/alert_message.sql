-- The message an alert is delivered with (one message for the thresholds of a group crossed at once).
UPDATE finops.alerts SET message = %(message)s WHERE alert_id = %(alert_id)s;
