SELECT statement_id, version, html_path, csv_path, totals, checksum, issued_at
FROM finops.team_statements
WHERE team_id = %(team_id)s AND month = %(month)s
ORDER BY version DESC
LIMIT 1;
