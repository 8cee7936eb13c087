-- Every row whose natural key (team, day, project, line item, currency, API key) another row of the window
-- also holds. The primary key forbids this; the expectation states it in the suite. One sort with a
-- window count, never a join of the window with itself: GX's expect_compound_columns_to_be_unique
-- joins the window to its own GROUP BY, which on statistics gathered before a load became a nested
-- loop running for minutes on 55k rows (docs/performance.md).
SELECT team_id, usage_date, project_id, line_item, currency, api_key_id
FROM (
    SELECT team_id, usage_date, project_id, line_item, currency, api_key_id,
           count(*) OVER (PARTITION BY team_id, usage_date, project_id, line_item, currency, api_key_id) AS copies
    FROM {batch}
) keyed
WHERE copies > 1
ORDER BY team_id, usage_date, project_id, line_item, currency, api_key_id
