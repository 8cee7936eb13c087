-- A team's display name, for the digest's labels.
SELECT name FROM finops.teams WHERE team_id = %(team_id)s;
