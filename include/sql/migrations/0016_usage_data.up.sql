-- Token usage collected with the costs (docs/usage.md): one row per team, provider, day, scope, usage endpoint,
-- API key, model, service tier, batch flag and context window; token counts are disjoint (input excludes cached
-- tokens for both providers). Replaced with the team's costs, in the same transaction.
CREATE TABLE finops.usage_data (
    provider              finops.provider NOT NULL,
    team_id               text NOT NULL REFERENCES finops.teams (team_id),
    usage_date            date NOT NULL,
    project_id            text NOT NULL,
    endpoint              text NOT NULL,
    api_key_id            text,
    model                 text,
    service_tier          text,
    batch                 boolean,
    context_window        text,
    requests              bigint,
    input_tokens          bigint NOT NULL DEFAULT 0,
    cache_read_tokens     bigint NOT NULL DEFAULT 0,
    cache_write_tokens    bigint NOT NULL DEFAULT 0,
    cache_write_5m_tokens bigint,
    cache_write_1h_tokens bigint,
    output_tokens         bigint NOT NULL DEFAULT 0,
    input_audio_tokens    bigint NOT NULL DEFAULT 0,
    output_audio_tokens   bigint NOT NULL DEFAULT 0,
    quantity              numeric,
    quantity_unit         text,
    collected_at          timestamptz NOT NULL,
    dag_run_id            text,
    collection_run_id     bigint REFERENCES finops.collection_runs (run_id) ON DELETE SET NULL,
    CONSTRAINT usage_data_natural_key UNIQUE NULLS NOT DISTINCT
        (provider, team_id, usage_date, project_id, endpoint, api_key_id, model, service_tier, batch, context_window),
    CONSTRAINT usage_data_counts CHECK (input_tokens >= 0 AND cache_read_tokens >= 0 AND cache_write_tokens >= 0
                                        AND output_tokens >= 0 AND (requests IS NULL OR requests >= 0))
);
CREATE INDEX usage_data_team_day ON finops.usage_data (provider, team_id, usage_date);
CREATE INDEX usage_data_day_model ON finops.usage_data (usage_date, model);
