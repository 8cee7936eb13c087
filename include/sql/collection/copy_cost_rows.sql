COPY finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, quantity, quantity_unit,
                       organization_id, collected_at, dag_run_id, collection_run_id, provider,
                       model, token_type, cost_type, service_tier, context_window, inference_geo, api_key_id, allocated)
FROM STDIN (FORMAT BINARY)
