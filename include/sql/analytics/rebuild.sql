-- Every rollup table recomputed from cost_data and the parsed line items (migration, `finops report
-- --rebuild-rollups`); the monthly one by rebuild_monthly.sql, after this. spend_daily is a view (0013).
SET LOCAL work_mem = '256MB';  -- big GROUP BYs: hashed in memory rather than sorted on disk
TRUNCATE finops.spend_project_daily, finops.spend_model_daily;

INSERT INTO finops.spend_project_daily (provider, team_id, usage_date, project_id, currency, amount, rows)
SELECT provider, team_id, usage_date, project_id, currency, sum(amount), count(*)
FROM finops.cost_data
GROUP BY provider, team_id, usage_date, project_id, currency
ORDER BY usage_date;  -- a period's rows stored together, as daily loads append them

INSERT INTO finops.spend_model_daily (provider, usage_date, model, model_family, token_kind, tier, cost_kind,
                                      currency, amount, rows)
SELECT c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency,
       sum(c.amount), count(*)
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
GROUP BY c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency;
