#!/bin/bash
# Warm vector tiles over HTTP: Tessera serving grid tiles from its tile cache against nginx
# serving the same bytes as static files, one after the other on the same core with the same
# load. Each server gets core 0 (Tessera with one I/O thread, nginx with one worker process) and
# wrk gets core 1 (32 connections, keep-alive), requesting tiles at random from the same list:
# every z14 and z15 grid tile over central Luohe (the list is printed). Both write an access
# log line per request to /dev/null. Installs nginx-light from apt if nginx is missing. Needs a
# demo database (make demo) and the release build.
# Usage: bench/http_tiles_warm.sh [DB] [SECONDS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
DB=${1:-var/demo.db}
SECONDS_=${2:-10}
ROUNDS=${3:-3}
TESSERA_PORT=8099
NGINX_PORT=8100
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "http_tiles_warm: installing nginx-light (apt-get)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
DIR=$(mktemp -d /tmp/tessera-warm.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid" 2>/dev/null)" 2>/dev/null || true
    sleep 0.2
    rm -rf "$DIR"
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.2
    done
    echo "nothing listens on port $1" >&2
    exit 1
}

taskset -c 0 build/release/tessera serve --db "$DB" --port $TESSERA_PORT --threads 1 \
    >/dev/null 2>&1 &
PIDS+=($!)
wait_port $TESSERA_PORT

# The tiles: z14 and z15 around Luohe's centre (114.0165 E, 33.5809 N), 8 x 8 and 16 x 16.
: >"$DIR/tiles.txt"
for x in $(seq 13377 13384); do for y in $(seq 6563 6570); do
    echo "/tiles/grid/14/$x/$y.mvt" >>"$DIR/tiles.txt"; done; done
for x in $(seq 26754 26769); do for y in $(seq 13126 13141); do
    echo "/tiles/grid/15/$x/$y.mvt" >>"$DIR/tiles.txt"; done; done
# Warm Tessera's cache and keep the same bytes for nginx.
bytes=0
while read -r path; do
    mkdir -p "$DIR/www$(dirname "$path")"
    curl -sf -o "$DIR/www$path" "http://127.0.0.1:$TESSERA_PORT$path"
    bytes=$((bytes + $(stat -c %s "$DIR/www$path")))
done <"$DIR/tiles.txt"
count=$(wc -l <"$DIR/tiles.txt")
echo "tiles: $count (z14 and z15 grid tiles over central Luohe), $((bytes / count)) bytes on average"

cat >"$DIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log $DIR/error.log;
events { worker_connections 1024; }
http {
    types { application/vnd.mapbox-vector-tile mvt; }
    access_log /dev/null;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $DIR/www;
        add_header Cache-Control no-cache;
    }
}
CONF
taskset -c 0 "$NGINX" -c "$DIR/nginx.conf" &
PIDS+=($!)
wait_port $NGINX_PORT

export TILES_LIST="$DIR/tiles.txt"
# Rounds alternate between the servers, so that a noisy neighbour on a shared machine weighs on
# both alike; each round prints both rates and their ratio.
run() { # port -> requests/s
    taskset -c 1 wrk -t1 -c32 -d"${SECONDS_}s" -s bench/tiles.lua "http://127.0.0.1:$1/" |
        awk '/Requests\/sec/ {print $2}'
}
printf '%-6s %14s %14s %8s\n' round "Tessera req/s" "nginx req/s" ratio
for round in $(seq 1 "$ROUNDS"); do
    t=$(run $TESSERA_PORT)
    n=$(run $NGINX_PORT)
    printf '%-6s %14s %14s %8s\n' "$round" "$t" "$n" "$(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f", t / n}')"
done
