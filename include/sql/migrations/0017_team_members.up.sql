-- Showback: who belongs to which team (scoped access), each team's own channels, and what was sent to it.
-- USERNAME is the Airflow user as the auth manager names it (simple or FAB auth manager).
CREATE TABLE finops.team_members (
    team_id    text NOT NULL REFERENCES finops.teams (team_id),
    username   text NOT NULL,
    role       text NOT NULL CONSTRAINT team_members_role CHECK (role IN ('reader', 'manager')),
    added_at   timestamptz NOT NULL DEFAULT now(),
    added_by   text NOT NULL,
    PRIMARY KEY (team_id, username)
);
CREATE INDEX team_members_username ON finops.team_members (username);

-- A team's own channels: e-mail recipients, a Slack webhook connection id, a webhook connection id.
CREATE TABLE finops.team_channels (
    team_id         text PRIMARY KEY REFERENCES finops.teams (team_id),
    email           text[] NOT NULL DEFAULT '{}',
    slack_conn_id   text,
    webhook_conn_id text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text NOT NULL
);

-- Statements: one row per issued version of a team's month; lines kept so an amendment can list what changed.
CREATE TABLE finops.team_statements (
    statement_id bigserial PRIMARY KEY,
    team_id      text NOT NULL REFERENCES finops.teams (team_id),
    month        date NOT NULL CONSTRAINT team_statements_month CHECK (extract(day FROM month) = 1),
    version      integer NOT NULL CONSTRAINT team_statements_version CHECK (version >= 1),
    html_path    text NOT NULL,
    csv_path     text NOT NULL,
    -- Totals per currency as {"usd": "123.45"} (exact numeric text), and the SHA-256 of the CSV.
    totals       jsonb NOT NULL,
    checksum     text NOT NULL,
    line_count   integer NOT NULL,
    changes      integer NOT NULL DEFAULT 0,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    dag_run_id   text,
    UNIQUE (team_id, month, version)
);
CREATE TABLE finops.team_statement_lines (
    statement_id bigint NOT NULL REFERENCES finops.team_statements (statement_id) ON DELETE CASCADE,
    provider     text NOT NULL,
    project_id   text NOT NULL,
    model        text NOT NULL,
    token_kind   text NOT NULL,
    usage_date   date NOT NULL,
    currency     text NOT NULL,
    amount       numeric NOT NULL,
    PRIMARY KEY (statement_id, provider, project_id, model, token_kind, usage_date, currency)
);

-- Deliveries of digests and statements to a team's channels: one per (kind, team, period), so a rerun sends
-- nothing new; a failed channel leaves it pending (delivered_at NULL) and a later pass retries only that channel.
CREATE TABLE finops.team_deliveries (
    delivery_id     bigserial PRIMARY KEY,
    kind            text NOT NULL CONSTRAINT team_deliveries_kind CHECK (kind IN ('digest', 'statement')),
    team_id         text NOT NULL REFERENCES finops.teams (team_id),
    -- A digest's week (its first day, YYYY-MM-DD) or a statement's month and version (YYYY-MM v2).
    period          text NOT NULL,
    subject         text NOT NULL,
    message         text NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at    timestamptz,
    channels        text[] NOT NULL DEFAULT '{}',
    delivery_errors text,
    attempts        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    UNIQUE (kind, team_id, period)
);
CREATE INDEX team_deliveries_pending ON finops.team_deliveries (delivery_id) WHERE delivered_at IS NULL;
