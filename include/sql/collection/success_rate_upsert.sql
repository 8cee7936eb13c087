INSERT INTO finops.success_rates (provider, dag_run_id, window_start, window_end, teams_total, teams_succeeded, success_rate,
                                  threshold, failed_teams)
VALUES (%(provider)s, %(dag_run_id)s, %(window_start)s, %(window_end)s, %(teams_total)s, %(teams_succeeded)s, %(success_rate)s,
        %(threshold)s, %(failed_teams)s)
ON CONFLICT (provider, dag_run_id) DO UPDATE
SET window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end, teams_total = EXCLUDED.teams_total,
    teams_succeeded = EXCLUDED.teams_succeeded, success_rate = EXCLUDED.success_rate,
    threshold = EXCLUDED.threshold, failed_teams = EXCLUDED.failed_teams, computed_at = now();
