-- The last day with project spend (through spend_project_daily_usage_date): later days hold no rows.
SELECT max(usage_date) FROM finops.spend_project_daily;
