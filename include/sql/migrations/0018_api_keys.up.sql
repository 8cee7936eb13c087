-- Attribution by API key (docs/attribution.md). cost_data gains api_key_id (NULL where the provider reports no
-- key: organization-level cost, the Playground, cost not reported per key) and allocated (true for Anthropic
-- amounts split over keys in proportion to their tokens: not billed figures). The natural key becomes
-- (provider, team_id, usage_date, project_id, line_item, currency, api_key_id), NULL keys equal to each other.
ALTER TABLE finops.cost_data ADD COLUMN api_key_id text;
ALTER TABLE finops.cost_data ADD COLUMN allocated boolean NOT NULL DEFAULT false;
ALTER TABLE finops.cost_data DROP CONSTRAINT cost_data_natural_key;
ALTER TABLE finops.cost_data ADD CONSTRAINT cost_data_natural_key UNIQUE NULLS NOT DISTINCT
    (provider, team_id, usage_date, project_id, line_item, currency, api_key_id);
CREATE INDEX cost_data_api_key ON finops.cost_data (provider, team_id, api_key_id, usage_date)
    WHERE api_key_id IS NOT NULL;

CREATE OR REPLACE VIEW finops.spend_daily AS
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, c.amount, 1 AS rows, c.api_key_id, c.allocated
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item;

-- A team's API keys as the providers list them, never deleted: a key renamed, disabled or deleted keeps its row
-- (and its spend in cost_data). Only the provider's own redacted form of the secret is kept.
CREATE TABLE finops.api_keys (
    provider       finops.provider NOT NULL,
    team_id        text NOT NULL REFERENCES finops.teams (team_id),
    api_key_id     text NOT NULL,
    project_id     text NOT NULL,
    name           text,
    redacted_value text,
    owner_type     text,
    owner_id       text,
    owner_name     text,
    owner_email    text,
    status         text NOT NULL,
    created_at     timestamptz,
    last_used_at   timestamptz,
    first_seen_at  timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    deleted_at     timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (provider, team_id, api_key_id),
    CONSTRAINT api_keys_status CHECK (status IN ('active', 'inactive', 'archived', 'deleted')),
    CONSTRAINT api_keys_redacted CHECK (redacted_value IS NULL OR redacted_value ~ '(\*|\.\.\.)')
);

-- What changed on a key between collections (name, status, owner, project): the key's history.
CREATE TABLE finops.api_key_changes (
    provider    finops.provider NOT NULL,
    team_id     text NOT NULL,
    api_key_id  text NOT NULL,
    changed_at  timestamptz NOT NULL,
    field       text NOT NULL,
    old_value   text,
    new_value   text,
    FOREIGN KEY (provider, team_id, api_key_id) REFERENCES finops.api_keys (provider, team_id, api_key_id)
);
CREATE INDEX api_key_changes_key ON finops.api_key_changes (provider, team_id, api_key_id, changed_at);
