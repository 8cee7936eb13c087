-- The series days already judged on [start_date, end_date), of some teams or all (a run skips them).
SELECT team_id, provider, scope, currency, day
FROM finops.anomaly_judgements
WHERE day >= %(start_date)s AND day < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]));
