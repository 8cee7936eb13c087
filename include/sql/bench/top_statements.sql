-- The statements that took the most time in PostgreSQL's backends since pg_stat_statements_reset(), in every
-- database of the cluster (the warehouse and Airflow's metadata): time executing and planning, calls, rows, and the
-- statement's text with its constants replaced by $n, on one line.
SELECT d.datname, s.calls, s.total_exec_time + s.total_plan_time AS total_ms, s.rows,
       regexp_replace(s.query, '\s+', ' ', 'g') AS query
FROM pg_stat_statements s
JOIN pg_database d ON d.oid = s.dbid
ORDER BY total_ms DESC
LIMIT %(limit)s
