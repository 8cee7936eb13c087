-- A batch of loads' changes applied to the rollups in one statement (finops.analytics.rollups.apply_changes): for
-- each group that changed, the new rows' sums minus what the deleted rows held (collection/delete_window.sql),
-- summed over the batch's claimed loads. spend_project_daily and spend_project_monthly per team,
-- spend_model_daily over all teams. Keys are upserted in a fixed order: concurrent batches touching the same
-- days wait for each other instead of deadlocking. Returns each changed group's resulting row count; groups left
-- at 0 are removed by drop_empty.sql.
WITH projects AS (
    INSERT INTO finops.spend_project_daily AS p (provider, team_id, usage_date, project_id, currency, amount, rows)
    SELECT %(provider)s, team_id, usage_date, project_id, currency, amount, rows
    FROM unnest(%(p_teams)s::text[], %(p_days)s::date[], %(p_projects)s::text[], %(p_currencies)s::text[],
                %(p_amounts)s::numeric[], %(p_rows)s::integer[])
         AS c (team_id, usage_date, project_id, currency, amount, rows)
    ORDER BY team_id, usage_date, project_id, currency
    ON CONFLICT (provider, team_id, usage_date, project_id, currency)
    DO UPDATE SET amount = p.amount + EXCLUDED.amount, rows = p.rows + EXCLUDED.rows
    RETURNING p.rows
), months AS (
    INSERT INTO finops.spend_project_monthly AS m (provider, team_id, month, project_id, currency, amount, rows)
    SELECT %(provider)s, team_id, month, project_id, currency, amount, rows
    FROM unnest(%(o_teams)s::text[], %(o_months)s::date[], %(o_projects)s::text[], %(o_currencies)s::text[],
                %(o_amounts)s::numeric[], %(o_rows)s::integer[])
         AS c (team_id, month, project_id, currency, amount, rows)
    ORDER BY team_id, month, project_id, currency
    ON CONFLICT (provider, team_id, month, project_id, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
), models AS (
    INSERT INTO finops.spend_model_daily AS m
           (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    SELECT %(provider)s, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows
    FROM unnest(%(m_days)s::date[], %(m_models)s::text[], %(m_families)s::text[], %(m_token_kinds)s::text[],
                %(m_tiers)s::text[], %(m_cost_kinds)s::text[], %(m_currencies)s::text[], %(m_amounts)s::numeric[],
                %(m_rows)s::integer[])
         AS c (usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows)
    ORDER BY usage_date, model, model_family, token_kind, tier, cost_kind, currency
    ON CONFLICT (provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency)
    DO UPDATE SET amount = m.amount + EXCLUDED.amount, rows = m.rows + EXCLUDED.rows
    RETURNING m.rows
)
SELECT rows FROM projects
UNION ALL
SELECT rows FROM months
UNION ALL
SELECT rows FROM models;
