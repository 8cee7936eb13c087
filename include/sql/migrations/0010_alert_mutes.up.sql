-- Alert mutes: while a mute holds (up to and including `until`, UTC), the team's alerts of `kind`
-- are still recorded in finops.alerts but not delivered. Changes are audited in finops.audit_log.
CREATE TABLE finops.alert_mutes (
    mute_id      bigserial PRIMARY KEY,
    team_id      text NOT NULL REFERENCES finops.teams (team_id),
    kind         text NOT NULL DEFAULT 'spend_anomaly',
    until        date NOT NULL,
    reason       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by   text NOT NULL,
    cancelled_at timestamptz,
    cancelled_by text
);
CREATE INDEX alert_mutes_team ON finops.alert_mutes (team_id, kind) WHERE cancelled_at IS NULL;
