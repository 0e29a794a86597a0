#!/bin/sh
# First start of the PostgreSQL container (docker-entrypoint-initdb.d): the gateway database is
# POSTGRES_DB (hotline); this adds Rasa's tracker store database, owned by the same user.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE DATABASE rasa OWNER \"$POSTGRES_USER\""
