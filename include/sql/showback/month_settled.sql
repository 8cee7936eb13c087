-- Whether a team's month is settled: every provider with costs in the month has a successful collection of the
-- team whose window covers the month's last day (the caller checks the day is outside the look-back).
-- Returns the number of providers with costs and whether all of them are settled.
SELECT count(*) AS providers,
       coalesce(bool_and(EXISTS (
           SELECT 1 FROM finops.collection_runs r
           WHERE r.team_id = %(team_id)s AND r.provider = p.provider AND r.status = 'success'
             AND r.window_start <= %(last_day)s AND %(last_day)s < r.window_end)), false) AS settled
FROM (SELECT DISTINCT provider FROM finops.cost_data
      WHERE team_id = %(team_id)s AND usage_date >= %(start)s AND usage_date < %(end)s) AS p;
