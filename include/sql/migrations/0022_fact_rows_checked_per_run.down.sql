-- The row-level foreign keys back; fails (and changes nothing) if a row references a team or run that is gone.
ALTER TABLE finops.cost_data ADD CONSTRAINT cost_data_team_id_fkey
    FOREIGN KEY (team_id) REFERENCES finops.teams (team_id);
ALTER TABLE finops.usage_data ADD CONSTRAINT usage_data_team_id_fkey
    FOREIGN KEY (team_id) REFERENCES finops.teams (team_id);
ALTER TABLE finops.usage_data ADD CONSTRAINT usage_data_collection_run_id_fkey
    FOREIGN KEY (collection_run_id) REFERENCES finops.collection_runs (run_id) ON DELETE SET NULL;
