-- Cost rows whose amount is not of the exact numeric type (a float column would round spend).
-- Without a JOIN, GX aliases {batch} itself: columns stay unqualified.
SELECT team_id, usage_date, project_id, line_item, currency, pg_typeof(amount)::text AS amount_type
FROM {batch}
WHERE pg_typeof(amount) <> 'numeric'::regtype
