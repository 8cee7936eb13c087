-- The window's days of a team's usage as last loaded (finops.usage_days): each day's digest and rows, to compare
-- with the day's new usage (finops.usage.load: read ahead of the load, and again in its transaction). A day missing
-- here is rewritten.
SELECT usage_date, digest, rows
FROM finops.usage_days
WHERE provider = %(provider)s AND team_id = %(team_id)s
  AND usage_date >= %(window_start)s AND usage_date < %(window_end)s;
