-- Whether the run's watcher already recorded why the run failed.
SELECT EXISTS (SELECT 1 FROM finops.alerts WHERE kind = 'run_failed' AND provider = %(provider)s AND period = %(run_id)s);
