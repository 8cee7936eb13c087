-- The team windows holding cost rows of the given line items (refreshed after a re-parse changed them).
SELECT provider, team_id, min(usage_date) AS window_start, max(usage_date) + 1 AS window_end
FROM finops.cost_data
WHERE (provider, line_item) IN (SELECT * FROM unnest(%(providers)s::text[], %(line_items)s::text[]))
GROUP BY provider, team_id
ORDER BY provider, team_id;
