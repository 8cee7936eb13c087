-- Spend analytics: line items parsed into dimensions, daily rollups kept equal to cost_data, restatements.
-- The rollups are derived data: `finops report --rebuild-rollups` recomputes them from cost_data at any time.
-- Needs PostgreSQL 15 or later (unique indexes NULLS NOT DISTINCT: a null model is a value of the grain).

-- One row per raw line item of a provider: what the parser made of it. Re-parsing updates rows here and
-- refreshes the rollups of the affected days; cost_data is never reloaded for it.
CREATE TABLE finops.line_items (
    provider       finops.provider NOT NULL,
    line_item      text NOT NULL,
    model          text,
    model_family   text,
    token_kind     text,
    tier           text NOT NULL,
    context        text,
    cost_kind      text NOT NULL,
    qualifier      text,
    recognized     boolean NOT NULL,
    parser_version integer NOT NULL,
    parsed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, line_item)
);

-- Daily spend per provider, team, project, model, token kind, tier, kind of cost and currency.
-- Rollups carry no foreign keys: they are derived from cost_data (which has them), and the checks
-- cost each load (measured in docs/performance.md).
CREATE TABLE finops.spend_daily (
    provider     finops.provider NOT NULL,
    team_id      text NOT NULL,
    usage_date   date NOT NULL,
    project_id   text NOT NULL,
    model        text,
    model_family text,
    token_kind   text,
    tier         text NOT NULL,
    cost_kind    text NOT NULL,
    currency     text NOT NULL,
    amount       numeric NOT NULL,
    rows         integer NOT NULL
);
CREATE UNIQUE INDEX spend_daily_grain ON finops.spend_daily
    (provider, team_id, usage_date, project_id, model, model_family, token_kind, tier, cost_kind, currency)
    NULLS NOT DISTINCT;
CREATE INDEX spend_daily_usage_date ON finops.spend_daily (usage_date);
-- A team's page reads one team over a period whatever the provider filter.
CREATE INDEX spend_daily_team ON finops.spend_daily (team_id, usage_date);

-- Daily spend per provider, team, project and currency: the overview's teams, projects and unattributed spend.
CREATE TABLE finops.spend_project_daily (
    provider   finops.provider NOT NULL,
    team_id    text NOT NULL,
    usage_date date NOT NULL,
    project_id text NOT NULL,
    currency   text NOT NULL,
    amount     numeric NOT NULL,
    rows       integer NOT NULL,
    PRIMARY KEY (provider, team_id, usage_date, project_id, currency)
);
CREATE INDEX spend_project_daily_usage_date ON finops.spend_project_daily (usage_date);
CREATE INDEX spend_project_daily_team ON finops.spend_project_daily (team_id, usage_date);

-- Daily spend per provider, model, token kind, tier, kind of cost and currency over all teams: maintained by
-- adding each team window's change (new minus old), so the overview's model panels read a few rows a day.
CREATE TABLE finops.spend_model_daily (
    provider     finops.provider NOT NULL,
    usage_date   date NOT NULL,
    model        text,
    model_family text,
    token_kind   text,
    tier         text NOT NULL,
    cost_kind    text NOT NULL,
    currency     text NOT NULL,
    amount       numeric NOT NULL,
    rows         integer NOT NULL
);
CREATE UNIQUE INDEX spend_model_daily_grain ON finops.spend_model_daily
    (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency) NULLS NOT DISTINCT;

-- A re-collected day whose total differs from what the previous successful collection loaded.
CREATE TABLE finops.restatements (
    restatement_id bigserial PRIMARY KEY,
    provider       finops.provider NOT NULL,
    team_id        text NOT NULL REFERENCES finops.teams (team_id),
    usage_date     date NOT NULL,
    currency       text NOT NULL,
    old_amount     numeric NOT NULL,
    new_amount     numeric NOT NULL,
    old_run_id     bigint REFERENCES finops.collection_runs (run_id) ON DELETE SET NULL,
    run_id         bigint NOT NULL REFERENCES finops.collection_runs (run_id) ON DELETE CASCADE,
    dag_run_id     text,
    detected_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, usage_date, currency)
);
CREATE INDEX restatements_day ON finops.restatements (usage_date, provider, team_id);

-- Freshness: the last successful collection per provider (and team) is read from collection_runs.
CREATE INDEX collection_runs_success_finished ON finops.collection_runs (provider, finished_at DESC)
    WHERE status = 'success';
