-- The distinct (provider, line item) pairs of the spend on [start_date, end_date), of some teams or all (their models are named in Python).
SELECT DISTINCT provider::text AS provider, line_item
FROM finops.cost_data
WHERE usage_date >= %(start_date)s AND usage_date < %(end_date)s
  AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]));
