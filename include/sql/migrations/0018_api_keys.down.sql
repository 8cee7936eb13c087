-- Drops attribution by API key: the key tables, and cost_data's per-key rows folded back into one row per
-- (provider, team, day, project, line item, currency) (amounts and quantities summed exactly) before the old
-- natural key returns.
DROP TABLE IF EXISTS finops.api_key_changes;
DROP TABLE IF EXISTS finops.api_keys;

DROP VIEW finops.spend_daily;
CREATE VIEW finops.spend_daily AS
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, c.amount, 1 AS rows
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item;
COMMENT ON VIEW finops.spend_daily IS
    'One row per cost row with its line item''s dimensions (rows = 1): sum amount and rows to roll up.';

CREATE TEMPORARY TABLE folded AS
SELECT provider, team_id, usage_date, project_id, line_item, currency, sum(amount) AS amount,
       sum(quantity) AS quantity, min(quantity_unit) AS quantity_unit, min(organization_id) AS organization_id,
       max(collected_at) AS collected_at, max(dag_run_id) AS dag_run_id, max(collection_run_id) AS collection_run_id,
       min(model) AS model, min(token_type) AS token_type, min(cost_type) AS cost_type,
       min(service_tier) AS service_tier, min(context_window) AS context_window, min(inference_geo) AS inference_geo
FROM finops.cost_data
GROUP BY provider, team_id, usage_date, project_id, line_item, currency
HAVING count(*) > 1;

DELETE FROM finops.cost_data c USING folded f
WHERE c.provider = f.provider AND c.team_id = f.team_id AND c.usage_date = f.usage_date
  AND c.project_id = f.project_id AND c.line_item = f.line_item AND c.currency = f.currency;

INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, quantity,
                              quantity_unit, organization_id, collected_at, dag_run_id, collection_run_id, model,
                              token_type, cost_type, service_tier, context_window, inference_geo)
SELECT provider, team_id, usage_date, project_id, line_item, currency, amount, quantity, quantity_unit,
       organization_id, collected_at, dag_run_id, collection_run_id, model, token_type, cost_type, service_tier,
       context_window, inference_geo
FROM folded;
DROP TABLE folded;

DROP INDEX finops.cost_data_api_key;
ALTER TABLE finops.cost_data DROP CONSTRAINT cost_data_natural_key;
ALTER TABLE finops.cost_data DROP COLUMN allocated;
ALTER TABLE finops.cost_data DROP COLUMN api_key_id;
ALTER TABLE finops.cost_data ADD CONSTRAINT cost_data_natural_key
    PRIMARY KEY (provider, team_id, usage_date, project_id, line_item, currency);
