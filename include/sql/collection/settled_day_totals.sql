-- The drop guard's reference: per settled day [window_start, settled_end) and currency, the totals
-- recorded by the latest successful load covering that day (latest = last committed: finished_at).
-- A day that load covered without recording a currency had no cost in it.
WITH latest AS (
    SELECT DISTINCT ON (g.day) g.day::date AS usage_date, r.run_id
    FROM finops.collection_runs r
    CROSS JOIN LATERAL generate_series(
        GREATEST(r.window_start, %(window_start)s)::timestamp,
        LEAST(r.window_end, %(settled_end)s)::timestamp - interval '1 day',
        interval '1 day'
    ) AS g(day)
    WHERE r.provider = %(provider)s AND r.team_id = %(team_id)s AND r.status = 'success'
      AND r.window_start < %(settled_end)s AND r.window_end > %(window_start)s
    ORDER BY g.day, r.finished_at DESC, r.run_id DESC
)
SELECT l.usage_date, d.currency, d.amount_total
FROM latest l
JOIN finops.collection_run_days d ON d.run_id = l.run_id AND d.usage_date = l.usage_date
ORDER BY l.usage_date, d.currency;
