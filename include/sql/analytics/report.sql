-- `finops report` and the page's CSV: spend in [start, end) grouped by the asked columns, then currency.
-- The keys and the table are chosen from fixed lists in finops/analytics/report.py (never user text).
SELECT {keys}, sum(amount) AS amount, sum(rows) AS cost_rows
FROM {table}
WHERE usage_date >= %(start)s AND usage_date < %(end)s
  AND (%(provider)s::text IS NULL OR provider = %(provider)s)
  {team_filter}
GROUP BY {keys}
ORDER BY {keys};
