UPDATE finops.collection_runs
SET pages = %(pages)s, requests = %(requests)s, retries = %(retries)s, rows = %(rows)s,
    amount_total = %(amount_total)s, finished_at = now()
WHERE run_id = %(run_id)s;
