-- usage_data_team_day (provider, team_id, usage_date) repeated the first three columns of the natural key's unique
-- index (usage_data_natural_key), which serves the same team-and-period range scans (the team page's usage panels,
-- the key attribution's reads). Every usage row paid for both on insert: about a fifth of writing a usage row
-- (docs/performance.md, section 2, issue 25).
DROP INDEX IF EXISTS finops.usage_data_team_day;
