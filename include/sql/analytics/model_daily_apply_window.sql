-- Adds a team window's change to the all-teams model rollup: what cost_data holds now minus what spend_daily
-- held for the window (run before spend_daily is replaced). One statement, keys in a fixed order, so
-- concurrent teams touching the same days wait for each other instead of deadlocking.
WITH old AS (
    SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency,
           -sum(amount) AS amount, -sum(rows) AS rows
    FROM finops.spend_daily
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
    GROUP BY provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency
), new AS (
    SELECT c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency,
           sum(c.amount) AS amount, count(*) AS rows
    FROM finops.cost_data AS c
    JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.team_id = %(team_id)s
      AND c.usage_date >= %(window_start)s AND c.usage_date < %(window_end)s
    GROUP BY c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency
), change AS (
    SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency,
           sum(amount) AS amount, sum(rows)::integer AS rows
    FROM (SELECT * FROM old UNION ALL SELECT * FROM new) AS both_sides
    GROUP BY provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency
    HAVING sum(amount) <> 0 OR sum(rows) <> 0
)
INSERT INTO finops.spend_model_daily AS m
       (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows
FROM change
ORDER BY provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency
ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows;
