-- Every rollup recomputed from cost_data and the parsed line items (migration, `finops report --rebuild-rollups`);
-- the monthly one by rebuild_monthly.sql, after this.
SET LOCAL work_mem = '256MB';  -- one big GROUP BY: hashed in memory rather than sorted on disk
TRUNCATE finops.spend_daily, finops.spend_project_daily, finops.spend_model_daily;

INSERT INTO finops.spend_daily (provider, team_id, usage_date, project_id, model, model_family, token_kind, tier,
                                cost_kind, currency, amount, rows)
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, sum(c.amount), count(*)
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
GROUP BY c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
         d.cost_kind, c.currency
ORDER BY c.usage_date;  -- a period's rows stored together, as daily loads append them

INSERT INTO finops.spend_project_daily (provider, team_id, usage_date, project_id, currency, amount, rows)
SELECT provider, team_id, usage_date, project_id, currency, sum(amount), sum(rows)
FROM finops.spend_daily
GROUP BY provider, team_id, usage_date, project_id, currency
ORDER BY usage_date;

INSERT INTO finops.spend_model_daily (provider, usage_date, model, model_family, token_kind, tier, cost_kind,
                                      currency, amount, rows)
SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, sum(amount), sum(rows)
FROM finops.spend_daily
GROUP BY provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency;
