#!/bin/bash
# Runs a command with a throwaway PostgreSQL 15 + PostGIS 3 server beside it, for the benchmarks'
# side-by-side figures: the server lives in a temporary directory, listens on a Unix socket only,
# and is stopped and deleted when the command ends. TESSERA_BENCH_PG holds its libpq connection
# string (database "bench" with the postgis extension). Installs the Debian packages if missing.
# Usage: bench/with_postgis.sh COMMAND [ARGS...]
#   e.g. bench/with_postgis.sh build/bench/bench/tile_bench --db var/demo.db
set -eu
if [ $# -eq 0 ]; then
    echo "usage: bench/with_postgis.sh COMMAND [ARGS...]" >&2
    exit 2
fi
PG_BIN=/usr/lib/postgresql/15/bin
if [ ! -x $PG_BIN/postgres ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "with_postgis: installing postgresql-15-postgis-3 (apt-get)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15-postgis-3 >&2
fi
# PostgreSQL refuses to run as root: run the server as the postgres user then.
if [ "$(id -u)" -eq 0 ]; then AS="runuser -u postgres --"; USER_NAME=postgres; else AS=""; USER_NAME=$(id -un); fi
DIR=$(mktemp -d /tmp/tessera-pg.XXXXXX)
chmod 755 "$DIR"
[ -n "$AS" ] && chown postgres "$DIR"
PORT=54329
cleanup() {
    $AS $PG_BIN/pg_ctl -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
$AS $PG_BIN/initdb -D "$DIR/data" -A trust -U "$USER_NAME" -E UTF8 --locale=C >/dev/null
# One core's worth of settings: no parallel workers, memory enough to hold the tables.
$AS $PG_BIN/pg_ctl -D "$DIR/data" -l "$DIR/server.log" -w -o \
    "-k $DIR -p $PORT -c listen_addresses='' -c shared_buffers=1GB -c work_mem=64MB \
     -c max_parallel_workers_per_gather=0 -c jit=off -c fsync=off" start >/dev/null
$AS $PG_BIN/createdb -h "$DIR" -p $PORT -U "$USER_NAME" bench
$AS $PG_BIN/psql -q -h "$DIR" -p $PORT -U "$USER_NAME" -d bench -c "CREATE EXTENSION postgis" >&2
export TESSERA_BENCH_PG="host=$DIR port=$PORT user=$USER_NAME dbname=bench"
echo "with_postgis: PostgreSQL + PostGIS at TESSERA_BENCH_PG=\"$TESSERA_BENCH_PG\"" >&2
"$@"
