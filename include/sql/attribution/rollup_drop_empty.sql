-- Key groups a batch's change left with no cost row are removed (the rollups hold no zero rows): among the
-- teams' days and months the batch changed (rollup_refresh.sql's JSON rows).
WITH days AS (
    DELETE FROM finops.spend_key_daily
    WHERE provider = %(provider)s AND rows = 0
      AND (team_id, usage_date) IN (SELECT c->>0, (c->>1)::date FROM jsonb_array_elements(%(key_days)s::jsonb) AS c)
)
DELETE FROM finops.spend_key_monthly
WHERE provider = %(provider)s AND rows = 0
  AND (month, team_id) IN (SELECT (c->>1)::date, c->>0 FROM jsonb_array_elements(%(key_months)s::jsonb) AS c);
