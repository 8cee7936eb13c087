-- A window's usage rows (finops.usage.load.UsageLoad): the columns every row of a load shares first (the run's id is
-- known only in the transaction), then a UsageRow's fields in the named tuple's order, formatted before the
-- transaction as the costs' spool is (copy_spooled_rows.sql): CSV separated by tabs, text quoted with ', None
-- unquoted as the NULL.
COPY finops.usage_data (collection_run_id, provider, team_id, collected_at, dag_run_id,
                        usage_date, project_id, endpoint, api_key_id, model, service_tier, batch, context_window,
                        requests, input_tokens, cache_read_tokens, cache_write_tokens, cache_write_5m_tokens,
                        cache_write_1h_tokens, output_tokens, input_audio_tokens, output_audio_tokens, quantity,
                        quantity_unit)
FROM STDIN (FORMAT csv, DELIMITER E'\t', QUOTE '''', NULL 'None')
