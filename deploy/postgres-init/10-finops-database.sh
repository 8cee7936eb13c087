#!/usr/bin/env bash
# Runs once, on the first start of an empty PostgreSQL volume (docker-entrypoint-initdb.d):
# creates the warehouse role and database `finops` next to Airflow's metadata database.
# The schema itself is created by `finops db upgrade` in the airflow-init service.
set -euo pipefail

: "${FINOPS_DB_PASSWORD:?set FINOPS_DB_PASSWORD for the postgres service}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v finops_password="$FINOPS_DB_PASSWORD" <<'SQL'
CREATE ROLE finops LOGIN PASSWORD :'finops_password';
CREATE DATABASE finops OWNER finops;
REVOKE ALL ON DATABASE finops FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE finops TO finops;
SQL
