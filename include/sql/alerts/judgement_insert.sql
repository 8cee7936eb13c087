-- Record the days this run judged (once: a concurrent run's judgement wins), each spike with the alert it holds
-- under the alerts' fire-once identity (matched on the expressions of the alerts_fire_once index).
INSERT INTO finops.anomaly_judgements (team_id, provider, scope, currency, day, outcome, value, baseline, as_of,
                                       alert_id)
SELECT j.team_id, j.provider, j.scope, j.currency, j.day, j.outcome, j.value, j.baseline, j.as_of, a.alert_id
FROM judged_now j
LEFT JOIN finops.alerts a
  ON j.outcome = 'spike' AND a.kind = 'spend_anomaly' AND coalesce(a.team_id, '') = j.team_id
 AND coalesce(a.provider::text, '') = j.provider AND a.scope = j.scope
 AND a.period = to_char(j.day, 'YYYY-MM-DD') AND coalesce(a.threshold, -1) = -1
ON CONFLICT (team_id, scope, provider, currency, day) DO NOTHING;
