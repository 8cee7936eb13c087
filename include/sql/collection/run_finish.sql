-- clock_timestamp(), not now(): now() is the transaction's start, and "latest attempt" orders by this.
UPDATE finops.collection_runs
SET pages = %(pages)s, requests = %(requests)s, retries = %(retries)s, rows = %(rows)s,
    amount_total = %(amount_total)s, finished_at = clock_timestamp()
WHERE run_id = %(run_id)s;
