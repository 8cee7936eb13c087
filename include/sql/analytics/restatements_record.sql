-- A successful run's per-day totals compared with the previous successful run of the same provider and
-- team that covered each day (what was loaded before); every difference is recorded as a restatement.
-- A day the previous run covered without rows counts as 0; a day never collected before is not a restatement.
WITH run AS (
    SELECT run_id, provider, team_id, window_start, window_end, dag_run_id
    FROM finops.collection_runs
    WHERE run_id = %(run_id)s AND status = 'success'
), days AS (
    SELECT run.*, d::date AS usage_date
    FROM run, generate_series(run.window_start, run.window_end - 1, interval '1 day') AS d
), previous AS (
    SELECT days.usage_date, earlier.run_id AS old_run_id
    FROM days
    CROSS JOIN LATERAL (
        SELECT r.run_id
        FROM finops.collection_runs AS r
        WHERE r.provider = days.provider AND r.team_id = days.team_id AND r.status = 'success'
          AND r.run_id < days.run_id
          AND r.window_start <= days.usage_date AND days.usage_date < r.window_end
        ORDER BY r.run_id DESC
        LIMIT 1
    ) AS earlier
), old AS (
    -- Each day's rows looked up by key (LATERAL, OFFSET 0 keeps it from being flattened): a join let the
    -- planner hash every run's days, a table growing by teams x window days with each run.
    SELECT p.usage_date, d.currency, d.amount_total
    FROM previous AS p
    CROSS JOIN LATERAL (
        SELECT currency, amount_total
        FROM finops.collection_run_days
        WHERE run_id = p.old_run_id AND usage_date = p.usage_date
        OFFSET 0
    ) AS d
), new AS (
    SELECT d.usage_date, d.currency, d.amount_total
    FROM finops.collection_run_days AS d
    WHERE d.run_id = %(run_id)s
), compared AS (
    SELECT coalesce(o.usage_date, n.usage_date) AS usage_date, coalesce(o.currency, n.currency) AS currency,
           coalesce(o.amount_total, 0) AS old_amount, coalesce(n.amount_total, 0) AS new_amount
    FROM old AS o
    FULL JOIN new AS n ON n.usage_date = o.usage_date AND n.currency = o.currency
)
INSERT INTO finops.restatements (provider, team_id, usage_date, currency, old_amount, new_amount, old_run_id,
                                 run_id, dag_run_id)
SELECT run.provider, run.team_id, c.usage_date, c.currency, c.old_amount, c.new_amount, p.old_run_id,
       run.run_id, run.dag_run_id
FROM compared AS c
JOIN previous AS p ON p.usage_date = c.usage_date
CROSS JOIN run
WHERE c.old_amount <> c.new_amount
ORDER BY c.usage_date, c.currency
ON CONFLICT (run_id, usage_date, currency) DO NOTHING
RETURNING usage_date, currency, old_amount, new_amount;
