-- The restatement check left out, for the bench's "loader alone" pass: the same parameter, no row.
SELECT NULL::date, NULL::text, NULL::numeric, NULL::numeric WHERE %(run_id)s::bigint IS NULL;
