-- spend_key_daily and spend_key_monthly recomputed from cost_data (finops.analytics.rollups.rebuild, after
-- analytics/rebuild.sql, under the recompute's lock); the same statements as migration 0020.
SET LOCAL work_mem = '256MB';
TRUNCATE finops.spend_key_daily, finops.spend_key_monthly;

INSERT INTO finops.spend_key_daily (provider, team_id, usage_date, project_id, api_key_id, allocated, line_item,
                                    currency, amount, rows)
SELECT provider, team_id, usage_date, project_id, api_key_id, allocated,
       CASE WHEN api_key_id IS NULL AND project_id <> 'unassigned' THEN line_item ELSE '' END,
       currency, sum(amount), count(*)
FROM finops.cost_data
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ORDER BY usage_date;

INSERT INTO finops.spend_key_monthly (provider, team_id, month, project_id, api_key_id, allocated, line_item,
                                      currency, amount, rows)
SELECT provider, team_id, date_trunc('month', usage_date)::date, project_id, api_key_id, allocated, line_item,
       currency, sum(amount), sum(rows)
FROM finops.spend_key_daily
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
