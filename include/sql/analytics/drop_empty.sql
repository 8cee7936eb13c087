-- Groups a batch's change left with no cost row are removed (the rollups hold no zero rows): among the groups
-- the batch changed, the teams' spend_project_daily days and spend_project_monthly months, and spend_model_daily's
-- days (all teams).
WITH projects AS (
    DELETE FROM finops.spend_project_daily
    WHERE provider = %(provider)s AND rows = 0
      AND (team_id, usage_date) IN (SELECT * FROM unnest(%(p_teams)s::text[], %(p_days)s::date[]))
), models AS (
    DELETE FROM finops.spend_model_daily
    WHERE provider = %(provider)s AND rows = 0 AND usage_date = ANY (%(m_days)s::date[])
)
DELETE FROM finops.spend_project_monthly
WHERE provider = %(provider)s AND rows = 0
  AND (team_id, month) IN (SELECT * FROM unnest(%(o_teams)s::text[], %(o_months)s::date[]));
