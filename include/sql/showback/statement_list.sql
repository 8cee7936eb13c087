-- A team's issued statements, every version, newest first (for the team page's list and the demo).
SELECT statement_id, team_id, month, version, html_path, csv_path, totals, checksum, line_count, changes, issued_at
FROM finops.team_statements
WHERE %(team_id)s::text IS NULL OR team_id = %(team_id)s
ORDER BY team_id, month DESC, version DESC;
