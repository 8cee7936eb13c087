INSERT INTO finops.team_statements (team_id, month, version, html_path, csv_path, totals, checksum, line_count,
                                    changes, dag_run_id)
VALUES (%(team_id)s, %(month)s, %(version)s, %(html_path)s, %(csv_path)s, %(totals)s, %(checksum)s, %(line_count)s,
        %(changes)s, %(dag_run_id)s)
RETURNING statement_id;
