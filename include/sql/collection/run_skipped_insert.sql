-- What one collection attempt left out for a scope the team has not registered (from CostStream.skipped).
INSERT INTO finops.collection_run_skipped (run_id, scope_id, currency, rows, amount_total)
VALUES (%(run_id)s, %(scope_id)s, %(currency)s, %(rows)s, %(amount_total)s);
