INSERT INTO finops.collection_runs (run_id, provider, team_id, window_start, window_end, status, dag_run_id,
                                    started_at)
VALUES (%(run_id)s, %(provider)s, %(team_id)s, %(window_start)s, %(window_end)s, 'success', %(dag_run_id)s,
        %(started_at)s);
