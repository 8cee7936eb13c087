-- The rollups' questions answered by a plain GROUP BY over cost_data: views with the rollups' names and
-- columns in schema `plain` (the bench points finops.analytics.report.ROLLUP_SCHEMA at it to compare).
CREATE SCHEMA IF NOT EXISTS plain;
CREATE OR REPLACE VIEW plain.spend_daily AS
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, sum(c.amount) AS amount, count(*) AS rows
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
GROUP BY c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
         d.cost_kind, c.currency;
CREATE OR REPLACE VIEW plain.spend_project_daily AS
SELECT provider, team_id, usage_date, project_id, currency, sum(amount) AS amount, count(*) AS rows
FROM finops.cost_data
GROUP BY provider, team_id, usage_date, project_id, currency;
CREATE OR REPLACE VIEW plain.spend_model_daily AS
SELECT c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency,
       sum(c.amount) AS amount, count(*) AS rows
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
GROUP BY c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency;
