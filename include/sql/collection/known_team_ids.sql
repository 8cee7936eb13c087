SELECT team_id, active FROM finops.teams WHERE team_id = ANY(%(team_ids)s);
