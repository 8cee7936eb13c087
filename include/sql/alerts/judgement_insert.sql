-- Record that a settled day of a series was judged (once: a concurrent run's judgement wins), with the alert
-- a spike recorded under the alerts' fire-once identity.
INSERT INTO finops.anomaly_judgements (team_id, provider, scope, currency, day, outcome, value, baseline, as_of,
                                       alert_id)
VALUES (%(team_id)s, %(provider)s, %(scope)s, %(currency)s, %(day)s, %(outcome)s, %(value)s, %(baseline)s,
        %(as_of)s,
        (SELECT a.alert_id FROM finops.alerts a
         WHERE %(outcome)s = 'spike' AND a.kind = 'spend_anomaly' AND a.team_id = %(team_id)s
           AND coalesce(a.provider::text, '') = %(provider)s AND a.scope = %(scope)s
           AND a.period = %(period)s AND a.threshold IS NULL))
ON CONFLICT (team_id, scope, provider, currency, day) DO NOTHING;
