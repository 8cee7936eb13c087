-- A team's streak row, created as `ok` before its first run is observed.
INSERT INTO finops.collection_streaks (provider, team_id, status, observed_until)
VALUES (%(provider)s, %(team_id)s, 'ok', NULL)
ON CONFLICT (provider, team_id) DO NOTHING;
