-- spend_project_daily's rows of a period read as whole months of spend_project_monthly plus or minus
-- ranges of daily rows (finops.analytics.report.monthly_plan): sums equal the daily rows' sums exactly.
SELECT {cols}, amount, rows
FROM finops.spend_project_monthly
WHERE month = ANY(%(months)s::date[]) AND {filters}
UNION ALL
SELECT {cols}, amount * r.sign, rows * r.sign
FROM unnest(%(range_starts)s::date[], %(range_ends)s::date[], %(range_signs)s::integer[]) AS r (first_day, stop, sign)
JOIN finops.spend_project_daily ON usage_date >= r.first_day AND usage_date < r.stop
WHERE {filters}
