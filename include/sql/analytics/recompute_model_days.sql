-- spend_model_daily's groups of some days of a provider recomputed from cost_data over all teams (after a
-- re-parse changed line items' dimensions; spend_project_* do not depend on them, spend_daily is a view).
-- Fresh groups are upserted, groups no longer present deleted. The caller holds a SHARE ROW EXCLUSIVE lock
-- on spend_model_daily, so no load changes these groups meanwhile.
WITH fresh AS (
    SELECT c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency,
           sum(c.amount) AS amount, count(*)::integer AS rows
    FROM finops.cost_data AS c
    JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
    WHERE c.provider = %(provider)s AND c.usage_date = ANY (%(days)s::date[])
    GROUP BY c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency
), stale AS (
    DELETE FROM finops.spend_model_daily AS m
    WHERE provider = %(provider)s AND usage_date = ANY (%(days)s::date[])
      AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.usage_date = m.usage_date
                        AND f.model IS NOT DISTINCT FROM m.model AND f.model_family IS NOT DISTINCT FROM m.model_family
                        AND f.token_kind IS NOT DISTINCT FROM m.token_kind AND f.tier = m.tier
                        AND f.cost_kind = m.cost_kind AND f.currency = m.currency)
)
INSERT INTO finops.spend_model_daily AS m
       (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
SELECT * FROM fresh
ORDER BY usage_date, model, model_family, token_kind, tier, cost_kind, currency
ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
DO UPDATE SET amount = EXCLUDED.amount, rows = EXCLUDED.rows;
