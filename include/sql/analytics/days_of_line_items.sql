-- The days, per provider, holding cost rows of the given line items (their model rollups are recomputed after
-- a re-parse changed them).
SELECT provider, array_agg(DISTINCT usage_date ORDER BY usage_date) AS days
FROM finops.cost_data
WHERE (provider, line_item) IN (SELECT * FROM unnest(%(providers)s::text[], %(line_items)s::text[]))
GROUP BY provider
ORDER BY provider;
