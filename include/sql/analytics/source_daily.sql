-- A rollup's rows of [start, end) (a subquery of report.sql and team_project_tops.sql).
SELECT {cols}, amount, rows
FROM {table}
WHERE usage_date >= %(start)s AND usage_date < %(end)s AND {filters}
