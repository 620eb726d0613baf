#!/bin/sh
# Runs once, when the PostgreSQL data volume is first initialised (docker-entrypoint-initdb.d):
# one role for TripBot and one database per service (and the bot), each owned by that role.
set -eu
: "${TRIPBOT_DB_USER:=tripbot}"
: "${TRIPBOT_DB_PASSWORD:?TRIPBOT_DB_PASSWORD must be set}"
: "${TRIPBOT_DB_PREFIX:=tripbot}"
: "${TRIPBOT_DB_SERVICES:=events routes gear ledger agenda bot}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres \
    --set=role="$TRIPBOT_DB_USER" --set=password="$TRIPBOT_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SQL
for service in $TRIPBOT_DB_SERVICES; do
    psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres \
        --set=role="$TRIPBOT_DB_USER" --set=database="${TRIPBOT_DB_PREFIX}_${service}" <<'SQL'
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
done
