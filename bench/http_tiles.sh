#!/bin/bash
# Cold vector tiles over HTTP: the time curl measures for single GETs of tiles over central
# Luohe (best of 5 each; no tile cache yet, so every request builds its tile), with the tile's
# size. Needs a demo database (make demo) and the release build.
# Usage: bench/http_tiles.sh [DB]
set -eu
cd "$(dirname "$0")/.."
DB=${1:-var/demo.db}
PORT=8098
build/release/tessera serve --db "$DB" --port $PORT >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.2
done
# layer z x y: the tiles containing Luohe's centre (114.0165, 33.5809)
printf '%-10s %-16s %10s %8s\n' layer tile bytes best_ms
for t in "grid 14 13381 6567" "grid 12 3345 1641" "grid 10 836 410" "township 8 209 102" \
         "county 6 52 25"; do
    set -- $t
    url="http://127.0.0.1:$PORT/tiles/$1/$2/$3/$4.mvt"
    best=""
    for _ in 1 2 3 4 5; do
        ms=$(curl -s -o /tmp/tessera-tile.mvt -w '%{time_total}' "$url" | awk '{printf "%.2f", $1 * 1000}')
        best=$(printf '%s\n%s\n' "$best" "$ms" | grep . | sort -n | head -1)
    done
    printf '%-10s %-16s %10s %8s\n' "$1" "$2/$3/$4" "$(stat -c %s /tmp/tessera-tile.mvt)" "$best"
done
rm -f /tmp/tessera-tile.mvt
