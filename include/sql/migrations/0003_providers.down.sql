-- Back to one provider: only OpenAI's rows fit the old keys, so Anthropic's are removed.
DELETE FROM finops.cost_data WHERE provider <> 'openai';
DELETE FROM finops.collection_runs WHERE provider <> 'openai';
DELETE FROM finops.projects WHERE provider <> 'openai';
DELETE FROM finops.admin_keys WHERE provider <> 'openai';
DELETE FROM finops.success_rates WHERE provider <> 'openai';

ALTER TABLE finops.success_rates DROP CONSTRAINT success_rates_pkey;
ALTER TABLE finops.success_rates ADD CONSTRAINT success_rates_pkey PRIMARY KEY (dag_run_id);
ALTER TABLE finops.success_rates DROP COLUMN provider;

ALTER TABLE finops.audit_log DROP COLUMN provider;

DROP INDEX finops.admin_keys_one_active_per_team;
ALTER TABLE finops.admin_keys DROP COLUMN provider;
CREATE UNIQUE INDEX admin_keys_one_active_per_team ON finops.admin_keys (team_id) WHERE status = 'active';

ALTER TABLE finops.projects DROP CONSTRAINT projects_project_id_format;
ALTER TABLE finops.projects DROP CONSTRAINT projects_pkey;
ALTER TABLE finops.projects DROP COLUMN provider;
ALTER TABLE finops.projects ADD CONSTRAINT projects_pkey PRIMARY KEY (team_id, project_id);
ALTER TABLE finops.projects ADD CONSTRAINT projects_project_id_format CHECK (project_id ~ '^proj_[A-Za-z0-9_-]{1,64}$');

DROP INDEX finops.collection_runs_team_window;
ALTER TABLE finops.collection_runs DROP COLUMN provider;
CREATE INDEX collection_runs_team_window ON finops.collection_runs (team_id, window_start, window_end);

ALTER TABLE finops.cost_data DROP CONSTRAINT cost_data_natural_key;
ALTER TABLE finops.cost_data DROP COLUMN provider;
ALTER TABLE finops.cost_data ADD CONSTRAINT cost_data_natural_key
    PRIMARY KEY (team_id, usage_date, project_id, line_item, currency);

DROP DOMAIN finops.provider;
