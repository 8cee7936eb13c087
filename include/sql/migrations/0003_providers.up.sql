-- Providers: every table that holds a provider's data names it. Rows collected before this
-- revision are OpenAI's. The natural key of cost_data becomes
-- (provider, team_id, usage_date, project_id, line_item, currency).
-- For Anthropic, project_id is the workspace ID (wrkspc_...) or `default` (the default workspace).
CREATE DOMAIN finops.provider AS text CONSTRAINT provider_known CHECK (VALUE IN ('openai', 'anthropic'));

ALTER TABLE finops.cost_data ADD COLUMN provider finops.provider NOT NULL DEFAULT 'openai';
ALTER TABLE finops.cost_data DROP CONSTRAINT cost_data_natural_key;
ALTER TABLE finops.cost_data ADD CONSTRAINT cost_data_natural_key
    PRIMARY KEY (provider, team_id, usage_date, project_id, line_item, currency);

ALTER TABLE finops.collection_runs ADD COLUMN provider finops.provider NOT NULL DEFAULT 'openai';
DROP INDEX finops.collection_runs_team_window;
CREATE INDEX collection_runs_team_window ON finops.collection_runs (provider, team_id, window_start, window_end);

ALTER TABLE finops.projects ADD COLUMN provider finops.provider NOT NULL DEFAULT 'openai';
ALTER TABLE finops.projects DROP CONSTRAINT projects_project_id_format;
ALTER TABLE finops.projects DROP CONSTRAINT projects_pkey;
ALTER TABLE finops.projects ADD CONSTRAINT projects_pkey PRIMARY KEY (team_id, provider, project_id);
ALTER TABLE finops.projects ADD CONSTRAINT projects_project_id_format CHECK (
    (provider = 'openai' AND project_id ~ '^proj_[A-Za-z0-9_-]{1,64}$')
    OR (provider = 'anthropic' AND (project_id = 'default' OR project_id ~ '^wrkspc_[A-Za-z0-9_-]{1,64}$'))
);

ALTER TABLE finops.admin_keys ADD COLUMN provider finops.provider NOT NULL DEFAULT 'openai';
DROP INDEX finops.admin_keys_one_active_per_team;
CREATE UNIQUE INDEX admin_keys_one_active_per_team ON finops.admin_keys (team_id, provider) WHERE status = 'active';

ALTER TABLE finops.audit_log ADD COLUMN provider finops.provider;
UPDATE finops.audit_log SET provider = 'openai' WHERE action LIKE 'key.%' OR action LIKE 'project.%';

-- Run ids repeat across DAGs (scheduled__<date>): a success rate belongs to one provider's run.
ALTER TABLE finops.success_rates ADD COLUMN provider finops.provider NOT NULL DEFAULT 'openai';
ALTER TABLE finops.success_rates DROP CONSTRAINT success_rates_pkey;
ALTER TABLE finops.success_rates ADD CONSTRAINT success_rates_pkey PRIMARY KEY (provider, dag_run_id);
