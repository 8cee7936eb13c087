-- The overview's teams and projects in one read of the project rollup: the top projects and top teams of
-- [start, end) in one currency (ranked by amount, then id), how many there are, and the unattributed total.
-- Only these few rows reach Python, whatever the number of teams. The source is spend_project_daily's rows
-- of the period (read through spend_project_monthly where cheaper; finops.analytics.report.spend_source).
WITH projects AS (
    SELECT team_id, project_id, sum(amount) AS amount
    FROM ({source}) AS s
    GROUP BY team_id, project_id
    HAVING sum(rows) <> 0
), teams AS (
    SELECT team_id, sum(amount) AS amount
    FROM projects
    GROUP BY team_id
), counts AS (
    SELECT count(*) AS projects, count(DISTINCT team_id) AS teams,
           coalesce(sum(amount) FILTER (WHERE project_id = %(unattributed)s), 0) AS unattributed
    FROM projects
)
(SELECT 'project' AS kind, team_id, project_id, amount
 FROM projects
 ORDER BY amount DESC, team_id COLLATE "C", project_id COLLATE "C"
 LIMIT %(top)s)
UNION ALL
(SELECT 'team', team_id, NULL, amount
 FROM teams
 ORDER BY amount DESC, team_id COLLATE "C"
 LIMIT %(top)s)
UNION ALL
SELECT 'counts', projects::text, teams::text, unattributed
FROM counts;
