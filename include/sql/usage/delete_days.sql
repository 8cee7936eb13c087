-- A team's usage of the window's changed days, deleted in the costs' transaction before their new rows are copied
-- in (the days that came back unchanged keep their rows).
DELETE FROM finops.usage_data
WHERE provider = %(provider)s AND team_id = %(team_id)s AND usage_date = ANY(%(days)s::date[]);
