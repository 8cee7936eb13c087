-- spend_daily becomes a view of cost_data joined to the parsed line items. Its grain (team, day, project,
-- parsed line item, currency) is within a few percent of cost_data's, so the table doubled every load's writes
-- for no read it made faster (docs/performance.md, section 11). Readers sum amount and rows, as before.
DROP TABLE finops.spend_daily;

CREATE VIEW finops.spend_daily AS
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, c.amount, 1 AS rows
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item;

COMMENT ON VIEW finops.spend_daily IS
    'One row per cost row with its line item''s dimensions (rows = 1): sum amount and rows to roll up.';
