INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, pages, requests, retries,
                                    error, dag_run_id, started_at, finished_at)
VALUES (%(provider)s, %(team_id)s, %(window_start)s, %(window_end)s, 'failed', %(pages)s, %(requests)s, %(retries)s,
        %(error)s, %(dag_run_id)s, %(started_at)s, clock_timestamp());
