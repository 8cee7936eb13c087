INSERT INTO finops.collection_run_days (run_id, usage_date, currency, rows, amount_total)
VALUES (%(run_id)s, %(usage_date)s, %(currency)s, %(rows)s, %(amount_total)s);
