-- Anthropic's cost report describes each cost with structured fields; they are stored, not thrown away.
-- OpenAI rows (and Anthropic's non-token costs, for model and token_type) leave them null.
ALTER TABLE finops.cost_data
    ADD COLUMN model          text,
    ADD COLUMN token_type     text,
    ADD COLUMN cost_type      text,
    ADD COLUMN service_tier   text,
    ADD COLUMN context_window text,
    ADD COLUMN inference_geo  text;

-- What a collection attempt left out because the API reported it for a scope the team has not
-- registered (Anthropic's cost report cannot be filtered by workspace): one row per scope and currency,
-- so an admin notices a missing workspace. Amounts in dollars, exact.
CREATE TABLE finops.collection_run_skipped (
    run_id       bigint NOT NULL REFERENCES finops.collection_runs (run_id) ON DELETE CASCADE,
    scope_id     text NOT NULL,
    currency     text NOT NULL,
    rows         integer NOT NULL,
    amount_total numeric NOT NULL,
    PRIMARY KEY (run_id, scope_id, currency)
);
