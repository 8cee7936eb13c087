-- Going back drops the structured fields and the skipped amounts. Rows that hold any would lose data,
-- so the downgrade stops and says what to do instead of deleting them silently.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM finops.cost_data
        WHERE coalesce(model, token_type, cost_type, service_tier, context_window, inference_geo) IS NOT NULL
    ) OR EXISTS (SELECT 1 FROM finops.collection_run_skipped) THEN
        RAISE EXCEPTION 'finops.cost_data holds Anthropic cost details (model, token_type, ...) or finops.collection_run_skipped holds skipped amounts; export them, delete them (DELETE FROM finops.cost_data WHERE provider = ''anthropic''; TRUNCATE finops.collection_run_skipped) and run the downgrade again';
    END IF;
END
$$;

DROP TABLE finops.collection_run_skipped;
ALTER TABLE finops.cost_data
    DROP COLUMN model,
    DROP COLUMN token_type,
    DROP COLUMN cost_type,
    DROP COLUMN service_tier,
    DROP COLUMN context_window,
    DROP COLUMN inference_geo;
