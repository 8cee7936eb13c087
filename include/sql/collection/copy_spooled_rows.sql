-- The loader's COPY of a window's spooled rows (finops.warehouse.loader): the columns every row of a load shares
-- first (one prefix, the run's id known only in the transaction), then a CostRow's fields in the named tuple's
-- order, as the spool formatted them while fetching: CSV separated by tabs, text fields quoted with ' (Python's
-- repr), None unquoted as the NULL, exact decimal text, ISO days. Formatting a row with one `%` costs the client a
-- fraction of binary COPY's per-field dumping (docs/performance.md, section 1); the transaction only streams bytes.
-- The columns of copy_cost_rows.sql, in another order.
COPY finops.cost_data (collection_run_id, team_id, collected_at, dag_run_id, provider,
                       usage_date, project_id, line_item, currency, amount, quantity, quantity_unit, organization_id,
                       model, token_type, cost_type, service_tier, context_window, inference_geo, api_key_id, allocated)
FROM STDIN (FORMAT csv, DELIMITER E'\t', QUOTE '''', NULL 'None')
