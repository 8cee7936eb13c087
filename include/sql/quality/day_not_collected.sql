-- Team-days of the window's settled part with no successful collection run of the provider covering them. Teams are
-- the active ones (or the requested ones) plus any team that has cost rows in the window. Days from
-- {settled_before} on are not yet settled (the next run's look-back collects them again) and are
-- reported apart, not here.
WITH scope AS (
    SELECT t.team_id FROM finops.teams t
    WHERE t.active AND {team_ids} IS NULL
      AND ({provider} = 'openai'
           OR EXISTS (SELECT 1 FROM finops.projects p
                      WHERE p.team_id = t.team_id AND p.provider = {provider} AND p.active))
    UNION
    SELECT unnest({team_ids})
    UNION
    SELECT DISTINCT b.team_id FROM {batch} b
),
days AS (
    SELECT d::date AS usage_date
    FROM generate_series(
        {window_start}::timestamp,
        LEAST({window_end}, {settled_before})::timestamp - interval '1 day',
        interval '1 day'
    ) AS d
),
successful_runs AS (
    SELECT r.team_id, r.window_start, r.window_end
    FROM finops.collection_runs r
    WHERE r.status = 'success' AND r.provider = {provider}
      AND daterange(r.window_start, r.window_end) && daterange({window_start}, {window_end})
)
SELECT s.team_id, d.usage_date
FROM scope s
CROSS JOIN days d
WHERE NOT EXISTS (
    SELECT 1 FROM successful_runs r
    WHERE r.team_id = s.team_id AND r.window_start <= d.usage_date AND r.window_end > d.usage_date
)
ORDER BY s.team_id, d.usage_date
