-- Groups a batch's change left with no cost row are removed (the rollups hold no zero rows): among the groups
-- the batch changed (refresh_window.sql's JSON rows), the teams' spend_project_daily days and
-- spend_project_monthly months, and spend_model_daily's days (all teams).
WITH projects AS (
    DELETE FROM finops.spend_project_daily
    WHERE provider = %(provider)s AND rows = 0
      AND (team_id, usage_date) IN (SELECT c->>0, (c->>1)::date FROM jsonb_array_elements(%(days)s::jsonb) AS c)
), models AS (
    DELETE FROM finops.spend_model_daily
    WHERE provider = %(provider)s AND rows = 0
      AND usage_date IN (SELECT (c->>0)::date FROM jsonb_array_elements(%(models)s::jsonb) AS c)
)
DELETE FROM finops.spend_project_monthly
WHERE provider = %(provider)s AND rows = 0
  AND (team_id, month) IN (SELECT c->>0, (c->>1)::date FROM jsonb_array_elements(%(months)s::jsonb) AS c);
