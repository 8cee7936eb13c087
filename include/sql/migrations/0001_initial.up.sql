-- The warehouse schema: registry (teams, projects, admin keys, audit log) and collected costs.
CREATE SCHEMA IF NOT EXISTS finops;

CREATE TABLE finops.teams (
    team_id        text PRIMARY KEY CONSTRAINT teams_team_id_format CHECK (team_id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    name           text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL,
    deactivated_at timestamptz,
    deactivated_by text
);

CREATE TABLE finops.projects (
    team_id     text NOT NULL REFERENCES finops.teams (team_id),
    project_id  text NOT NULL CONSTRAINT projects_project_id_format CHECK (project_id ~ '^proj_[A-Za-z0-9_-]{1,64}$'),
    name        text,
    active      boolean NOT NULL DEFAULT true,
    archived    boolean NOT NULL DEFAULT false,
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    removed_at  timestamptz,
    removed_by  text,
    PRIMARY KEY (team_id, project_id)
);

CREATE TABLE finops.admin_keys (
    key_id           bigserial PRIMARY KEY,
    team_id          text NOT NULL REFERENCES finops.teams (team_id),
    ciphertext       bytea,
    kms_key_id       text NOT NULL,
    redacted         text NOT NULL,
    fingerprint      text NOT NULL,
    status           text NOT NULL CONSTRAINT admin_keys_status CHECK (status IN ('active', 'rotated', 'revoked')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL,
    last_verified_at timestamptz,
    rotated_at       timestamptz,
    revoked_at       timestamptz,
    revoked_by       text,
    -- Only the active key keeps its ciphertext; rotation and revocation delete it.
    CONSTRAINT admin_keys_ciphertext_only_when_active CHECK ((status = 'active') = (ciphertext IS NOT NULL))
);
CREATE UNIQUE INDEX admin_keys_one_active_per_team ON finops.admin_keys (team_id) WHERE status = 'active';

CREATE TABLE finops.audit_log (
    audit_id    bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    team_id     text,
    fingerprint text,
    detail      text
);
CREATE INDEX audit_log_team_at ON finops.audit_log (team_id, at DESC);

CREATE TABLE finops.collection_runs (
    run_id       bigserial PRIMARY KEY,
    team_id      text NOT NULL REFERENCES finops.teams (team_id),
    window_start date NOT NULL,
    window_end   date NOT NULL,
    status       text NOT NULL CONSTRAINT collection_runs_status CHECK (status IN ('success', 'failed')),
    pages        integer NOT NULL DEFAULT 0,
    requests     integer NOT NULL DEFAULT 0,
    retries      integer NOT NULL DEFAULT 0,
    rows         integer NOT NULL DEFAULT 0,
    amount_total numeric NOT NULL DEFAULT 0,
    error        text,
    dag_run_id   text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collection_runs_window CHECK (window_end > window_start)
);
CREATE INDEX collection_runs_team_window ON finops.collection_runs (team_id, window_start, window_end);
CREATE INDEX collection_runs_finished ON finops.collection_runs (finished_at);

-- Per-day totals of a successful attempt: what reconciliation compares cost_data against.
CREATE TABLE finops.collection_run_days (
    run_id       bigint NOT NULL REFERENCES finops.collection_runs (run_id) ON DELETE CASCADE,
    usage_date   date NOT NULL,
    currency     text NOT NULL,
    rows         integer NOT NULL,
    amount_total numeric NOT NULL,
    PRIMARY KEY (run_id, usage_date, currency)
);

CREATE TABLE finops.cost_data (
    team_id           text NOT NULL REFERENCES finops.teams (team_id),
    usage_date        date NOT NULL,
    project_id        text NOT NULL,
    line_item         text NOT NULL,
    currency          text NOT NULL,
    amount            numeric NOT NULL,
    quantity          numeric,
    quantity_unit     text,
    organization_id   text,
    collected_at      timestamptz NOT NULL,
    dag_run_id        text,
    collection_run_id bigint,
    CONSTRAINT cost_data_natural_key PRIMARY KEY (team_id, usage_date, project_id, line_item, currency)
);
-- Window-scoped reads (validation, the UI's spend chart) filter on the date first.
CREATE INDEX cost_data_usage_date ON finops.cost_data (usage_date);

-- One row per DAG run: the share of active teams collected, checked against the threshold.
CREATE TABLE finops.success_rates (
    dag_run_id      text PRIMARY KEY,
    window_start    date NOT NULL,
    window_end      date NOT NULL,
    teams_total     integer NOT NULL,
    teams_succeeded integer NOT NULL,
    success_rate    numeric NOT NULL CONSTRAINT success_rates_range CHECK (success_rate BETWEEN 0 AND 1),
    threshold       numeric NOT NULL,
    failed_teams    text[] NOT NULL DEFAULT '{}',
    computed_at     timestamptz NOT NULL DEFAULT now()
);
