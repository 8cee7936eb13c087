-- Drops the showback tables: memberships, team channels, issued statements (the files stay where they were
-- written) and the delivery records.
DROP TABLE IF EXISTS finops.team_deliveries;
DROP TABLE IF EXISTS finops.team_statement_lines;
DROP TABLE IF EXISTS finops.team_statements;
DROP TABLE IF EXISTS finops.team_channels;
DROP TABLE IF EXISTS finops.team_members;
