-- Per team, day and currency: cost rows (count, sum of amount) against the per-day totals that the
-- latest successful collection run covering that day (the last committed: finished_at) recorded in
-- collection_run_days. A difference, rows loaded by another run (or by none), or recorded totals
-- without their rows are all reported.
WITH loaded AS (
    SELECT b.team_id, b.usage_date, b.currency, b.collection_run_id AS run_id,
           count(*) AS rows, sum(b.amount) AS amount_total
    FROM {batch} b
    GROUP BY b.team_id, b.usage_date, b.currency, b.collection_run_id
),
latest_run AS (
    SELECT DISTINCT ON (r.team_id, d.usage_date) r.team_id, d.usage_date, r.run_id
    FROM finops.collection_runs r
    CROSS JOIN LATERAL generate_series(
        GREATEST(r.window_start, {window_start})::timestamp,
        LEAST(r.window_end, {window_end})::timestamp - interval '1 day',
        interval '1 day'
    ) AS g(day)
    CROSS JOIN LATERAL (SELECT g.day::date AS usage_date) d
    WHERE r.status = 'success' AND r.provider = {provider}
      AND daterange(r.window_start, r.window_end) && daterange({window_start}, {window_end})
      AND ({team_ids} IS NULL OR r.team_id = ANY({team_ids}))
    ORDER BY r.team_id, d.usage_date, r.finished_at DESC, r.run_id DESC
),
recorded AS (
    SELECT l.team_id, l.usage_date, c.currency, c.run_id, c.rows, c.amount_total
    FROM latest_run l
    JOIN finops.collection_run_days c ON c.run_id = l.run_id AND c.usage_date = l.usage_date
)
SELECT COALESCE(a.team_id, r.team_id) AS team_id,
       COALESCE(a.usage_date, r.usage_date) AS usage_date,
       COALESCE(a.currency, r.currency) AS currency,
       a.run_id AS loaded_by_run_id, r.run_id AS recorded_by_run_id,
       a.rows AS cost_rows, r.rows AS recorded_rows,
       a.amount_total AS cost_amount, r.amount_total AS recorded_amount
FROM loaded a
FULL JOIN recorded r
  ON a.team_id = r.team_id AND a.usage_date = r.usage_date AND a.currency = r.currency AND a.run_id = r.run_id
WHERE a.team_id IS NULL OR r.team_id IS NULL OR a.rows <> r.rows OR a.amount_total <> r.amount_total
ORDER BY 1, 2, 3
