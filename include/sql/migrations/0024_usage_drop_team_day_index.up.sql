-- usage_data_team_day (provider, team_id, usage_date) repeated the first three columns of the natural key's unique
-- index (usage_data_natural_key), which serves the same team-and-period range scans (the load's window delete, the
-- key pages' key_tokens.sql, the FOCUS export's lookup). Every usage row paid for both on insert
-- (docs/performance.md, section 2, issue 25).
DROP INDEX IF EXISTS finops.usage_data_team_day;
