-- Alerts: one row per alert, fired once per (kind, team, provider, scope, period, threshold) and
-- delivered through the configured channels (webhook, Slack, e-mail); a failed delivery stays
-- pending (delivered_at NULL) and is retried by the next delivery pass.
CREATE TABLE finops.alerts (
    alert_id        bigserial PRIMARY KEY,
    kind            text NOT NULL,
    team_id         text,
    provider        finops.provider,
    -- What the alert is about inside the team: e.g. `collection`, `day`, `run`, `project:proj_x`.
    scope           text NOT NULL DEFAULT '',
    -- When: a streak's first day, a month (YYYY-MM), a day (YYYY-MM-DD) or a DAG run id.
    period          text NOT NULL DEFAULT '',
    threshold       numeric,
    value           numeric,
    baseline        numeric,
    budget          numeric,
    message         text NOT NULL,
    -- Extra facts for the channels' JSON body (teams, reasons, run id); never a secret.
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at    timestamptz,
    -- Channels that have delivered it (webhook, slack, email).
    channels        text[] NOT NULL DEFAULT '{}',
    delivery_errors text,
    attempts        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz
);
-- Each alert fires once: NULL team/threshold compare equal through coalesce (works before PostgreSQL 15).
CREATE UNIQUE INDEX alerts_fire_once ON finops.alerts
    (kind, coalesce(team_id, ''), coalesce(provider::text, ''), scope, period, coalesce(threshold, -1));
CREATE INDEX alerts_pending ON finops.alerts (alert_id) WHERE delivered_at IS NULL;
CREATE INDEX alerts_team_created ON finops.alerts (team_id, created_at DESC);

-- Collection streaks: each (provider, team)'s current state, so a failure alerts once per streak
-- and the first success after it sends a recovery notice, whatever reruns and backfills do.
CREATE TABLE finops.collection_streaks (
    provider       finops.provider NOT NULL,
    team_id        text NOT NULL REFERENCES finops.teams (team_id),
    status         text NOT NULL CONSTRAINT collection_streaks_status CHECK (status IN ('ok', 'failing')),
    reason         text,
    -- First day of the current failing streak (the first failing run's last window day).
    since          date,
    -- Last window day of the newest run that moved the streak: older days (backfills) never move it.
    observed_until date,
    dag_run_id     text,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (provider, team_id)
);
