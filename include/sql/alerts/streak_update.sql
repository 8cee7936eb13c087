UPDATE finops.collection_streaks
SET status = %(status)s, reason = %(reason)s, since = %(since)s,
    observed_until = greatest(observed_until, %(observed_until)s), dag_run_id = %(dag_run_id)s,
    updated_at = clock_timestamp()
WHERE provider = %(provider)s AND team_id = %(team_id)s;
