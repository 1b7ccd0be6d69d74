#!/bin/sh
# web (docker-compose.yml): Odoo's HTTP workers. When the "replica" profile runs db-replica, the
# calls of methods marked @api.readonly go to it (db_replica_host): the dashboard and KPI reads.
set -e
if getent hosts db-replica >/dev/null 2>&1; then
    set -- "$@" --db_replica_host=db-replica --db_replica_port=5432
fi
exec /entrypoint.sh "$@"
