-- One issued statement version of a team and month: where its files are and the CSV's SHA-256 (for downloads).
SELECT html_path, csv_path, checksum
FROM finops.team_statements
WHERE team_id = %(team_id)s AND month = %(month)s AND version = %(version)s;
