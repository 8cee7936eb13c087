-- The settled days (before `before`) with spend of each team's all-provider series that no run has judged for
-- anomalies yet, of some teams or all: each run of finops_spend_alerts judges them, whatever collected them.
WITH team_days AS (
    SELECT team_id, currency, usage_date
    FROM finops.cost_data
    WHERE usage_date < %(before)s
      AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
    GROUP BY team_id, currency, usage_date
    HAVING sum(amount) <> 0
)
SELECT DISTINCT d.usage_date
FROM team_days d
WHERE NOT EXISTS (
    SELECT 1 FROM finops.anomaly_judgements j
    WHERE j.team_id = d.team_id AND j.scope = 'team' AND j.provider = '' AND j.currency = d.currency
      AND j.day = d.usage_date)
ORDER BY d.usage_date;
