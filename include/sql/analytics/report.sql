-- `finops report` and the page's CSV: spend in [start, end) grouped by the asked columns, then currency.
-- The keys and the source (source_daily.sql or source_monthly.sql) are chosen in finops/analytics/report.py
-- from fixed lists (never user text). A group whose rows all lie outside the period sums to 0 rows: dropped.
SELECT {keys}, sum(amount) AS amount, sum(rows) AS cost_rows
FROM ({source}) AS s
GROUP BY {keys}
HAVING sum(rows) <> 0
ORDER BY {keys};
