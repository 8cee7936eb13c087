-- spend_project_monthly recomputed from spend_project_daily (after rebuild.sql; the migration
-- 0012_project_monthly does the same when it creates the table).
TRUNCATE finops.spend_project_monthly;
INSERT INTO finops.spend_project_monthly (provider, team_id, month, project_id, currency, amount, rows)
SELECT provider, team_id, date_trunc('month', usage_date)::date, project_id, currency, sum(amount), sum(rows)
FROM finops.spend_project_daily
GROUP BY 1, 2, 3, 4, 5;
