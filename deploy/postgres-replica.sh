#!/bin/sh
# db-replica (docker-compose.yml, profile "replica"): a streaming replica of db. The first start
# copies db with pg_basebackup (-R: standby.signal and primary_conninfo), then PostgreSQL runs as a
# hot standby that answers read-only queries.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h db -U odoo; do sleep 1; done
    pg_basebackup -h db -U odoo -D "$PGDATA" -R -X stream -c fast
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
