SELECT team_id FROM finops.teams WHERE active ORDER BY team_id;
