-- Team ids and names, for labels and the team filter.
SELECT team_id, name FROM finops.teams ORDER BY team_id;
