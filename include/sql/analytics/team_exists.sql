SELECT 1 FROM finops.teams WHERE team_id = %(team_id)s;
