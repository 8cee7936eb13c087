-- Days in [start, end) covered by a successful collection of the team (any provider).
SELECT DISTINCT d::date
FROM generate_series(%(start)s::date, %(end)s::date - 1, interval '1 day') AS d
JOIN finops.collection_runs r
  ON r.team_id = %(team_id)s AND r.status = 'success' AND r.window_start <= d::date AND d::date < r.window_end
ORDER BY 1;
