CREATE INDEX IF NOT EXISTS usage_data_team_day ON finops.usage_data (provider, team_id, usage_date);
