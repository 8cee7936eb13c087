-- The loader's COPY of a window's spooled rows (finops.warehouse.loader): the columns a load has in common first
-- (one prefix formatted once per load, the run's id known only in the transaction), then a CostRow's fields in the
-- named tuple's order, as the spool formatted them in binary while fetching (no per-row work in the transaction).
-- The same columns as copy_cost_rows.sql, in another order.
COPY finops.cost_data (collection_run_id, team_id, collected_at, dag_run_id, provider,
                       usage_date, project_id, line_item, currency, amount, quantity, quantity_unit, organization_id,
                       model, token_type, cost_type, service_tier, context_window, inference_geo, api_key_id, allocated)
FROM STDIN (FORMAT BINARY)
