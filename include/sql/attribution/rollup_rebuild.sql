-- spend_key_daily and spend_key_monthly recomputed from cost_data (finops.analytics.rollups.rebuild, after
-- analytics/rebuild.sql, under the recompute's lock), and migration 0020's fill.
SET LOCAL work_mem = '256MB';
TRUNCATE finops.spend_key_daily, finops.spend_key_monthly;

INSERT INTO finops.spend_key_daily (provider, team_id, usage_date, project_id, api_key_id, allocated, cost_kind,
                                    currency, amount, rows)
SELECT c.provider, c.team_id, c.usage_date, c.project_id, c.api_key_id, c.allocated,
       CASE WHEN c.api_key_id IS NULL AND c.project_id <> 'unassigned' THEN COALESCE(d.cost_kind, 'other') ELSE '' END,
       c.currency, sum(c.amount), count(*)
FROM finops.cost_data AS c
LEFT JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ORDER BY 3;

INSERT INTO finops.spend_key_monthly (provider, team_id, month, project_id, api_key_id, allocated, cost_kind,
                                      currency, amount, rows)
SELECT provider, team_id, date_trunc('month', usage_date)::date, project_id, api_key_id, allocated, cost_kind,
       currency, sum(amount), sum(rows)
FROM finops.spend_key_daily
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
