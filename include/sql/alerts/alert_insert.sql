-- Record an alert unless the same (kind, team, provider, scope, period, threshold) already fired.
INSERT INTO finops.alerts (kind, team_id, provider, scope, period, threshold, value, baseline, budget, message, details)
VALUES (%(kind)s, %(team_id)s, %(provider)s, %(scope)s, %(period)s, %(threshold)s, %(value)s, %(baseline)s,
        %(budget)s, %(message)s, %(details)s)
ON CONFLICT (kind, coalesce(team_id, ''), coalesce(provider::text, ''), scope, period, coalesce(threshold, -1))
DO NOTHING
RETURNING alert_id;
