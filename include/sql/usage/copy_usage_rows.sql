COPY finops.usage_data (provider, team_id, usage_date, project_id, endpoint, api_key_id, model, service_tier, batch,
                        context_window, requests, input_tokens, cache_read_tokens, cache_write_tokens,
                        cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, input_audio_tokens,
                        output_audio_tokens, quantity, quantity_unit, collected_at, dag_run_id, collection_run_id)
FROM STDIN
