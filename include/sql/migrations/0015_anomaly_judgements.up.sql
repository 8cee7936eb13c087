-- Which settled days of each spend series have been judged for anomalies, so every run of
-- finops_spend_alerts judges every settled day not judged yet (a failed collection, a range run, a
-- backfill or a manual run never loses a spike) and no day is judged twice.
-- A series is (team, provider, scope, currency): scope `team` (all providers, provider ''),
-- `model:<model>` (one provider), and later `api_key:<id>`; only days with spend are judged.
CREATE TABLE finops.anomaly_judgements (
    team_id    text NOT NULL REFERENCES finops.teams (team_id),
    -- '' for a series over every provider (scope `team`).
    provider   text NOT NULL DEFAULT '',
    scope      text NOT NULL CONSTRAINT anomaly_judgements_scope CHECK (scope = 'team' OR scope ~ '^[a-z_]+:.+$'),
    currency   text NOT NULL,
    day        date NOT NULL,
    -- spike (an alert holds), normal, or no_history (fewer than 14 days of history: nothing to compare with).
    outcome    text NOT NULL CONSTRAINT anomaly_judgements_outcome CHECK (outcome IN ('spike', 'normal', 'no_history')),
    value      numeric NOT NULL,
    baseline   numeric,
    -- The reference date of the run that judged it, and the alert it recorded (a spike), if any.
    as_of      date NOT NULL,
    alert_id   bigint REFERENCES finops.alerts (alert_id) ON DELETE SET NULL,
    judged_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (team_id, scope, provider, currency, day)
);
