-- The FinOps page's status grid of one provider: per team and day, its latest collection attempt covering that day.
-- window_end is exclusive. A day younger than the look-back is "not yet settled" (it is re-collected).
WITH days AS (
    SELECT d::date AS usage_date
    FROM generate_series(%(last_day)s::date - (%(days)s - 1), %(last_day)s::date, interval '1 day') AS d
)
SELECT t.team_id,
       days.usage_date,
       latest.status,
       latest.error,
       latest.finished_at,
       (%(today)s::date - days.usage_date) < %(lookback_days)s AS unsettled
FROM finops.teams AS t
CROSS JOIN days
LEFT JOIN LATERAL (
    SELECT r.status, r.error, r.finished_at
    FROM finops.collection_runs AS r
    WHERE r.team_id = t.team_id AND r.provider = %(provider)s
      AND r.window_start <= days.usage_date
      AND days.usage_date < r.window_end
    ORDER BY r.finished_at DESC, r.run_id DESC
    LIMIT 1
) AS latest ON true
WHERE t.team_id = ANY(%(team_ids)s)
ORDER BY t.team_id, days.usage_date;
