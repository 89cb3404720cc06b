#!/bin/bash
# Single GET /api/v1/locate over HTTP with wrk: the server on core 0 with one I/O thread, wrk on
# core 1, random points over Luohe (bench/locate.lua). Needs a demo database (make demo, or
# build/release/tessera demo --db var/demo.db) and Debian's wrk.
# Usage: bench/http_locate.sh [DB] [SECONDS]
set -eu
cd "$(dirname "$0")/.."
DB=${1:-var/demo.db}
SECONDS_=${2:-10}
PORT=8097
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
taskset -c 0 build/release/tessera serve --db "$DB" --port $PORT --threads 1 >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.2
done
taskset -c 1 wrk -t1 -c32 -d"${SECONDS_}s" --latency -s bench/locate.lua "http://127.0.0.1:$PORT/"
