-- The settled days (before `before`) with spend of each team's all-provider series that no run has judged for
-- anomalies yet, of some teams or all: each run of finops_spend_alerts judges them, whatever collected them.
-- EXCEPT (a hashed set difference) rather than NOT EXISTS: right after a first run has recorded the whole history,
-- the planner's statistics still call anomaly_judgements empty and a nested-loop anti-join took 13.7 s for 200 teams.
SELECT DISTINCT usage_date
FROM (
    SELECT team_id, currency, usage_date
    FROM finops.cost_data
    WHERE usage_date < %(before)s
      AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
    GROUP BY team_id, currency, usage_date
    HAVING sum(amount) <> 0
    EXCEPT
    SELECT team_id, currency, day
    FROM finops.anomaly_judgements
    WHERE scope = 'team' AND provider = '' AND day < %(before)s
      AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
) AS unjudged
ORDER BY usage_date;
