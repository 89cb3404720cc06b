#!/bin/bash
# Batch location from CSV (issue 3): `tessera locate` over N random points (default 10 million)
# in Luohe's extent, ids like "fix123", 6 decimals, as a GPS export would have them. Needs a demo
# database (make demo, or build/release/tessera demo --db var/demo.db). Prints points/s for the
# whole command: reading, parsing, locating, writing.
# Usage: bench/csv_locate.sh [DB] [POINTS]
set -eu
cd "$(dirname "$0")/.."
DB=${1:-var/demo.db}
N=${2:-10000000}
IN=${TMPDIR:-/tmp}/tessera-bench-points-$N.csv
OUT=${TMPDIR:-/tmp}/tessera-bench-located.csv
if [ ! -s "$IN" ]; then
    echo "writing $N points to $IN" >&2
    awk -v n="$N" 'BEGIN { srand(42); print "id,lon,lat";
        for (i = 0; i < n; i++) printf "fix%d,%.6f,%.6f\n", i, 113.45 + rand() * 0.84, 33.40 + rand() * 0.59 }' > "$IN"
fi
start=$(date +%s.%N)
build/release/tessera locate --db "$DB" --in "$IN" --out "$OUT"
end=$(date +%s.%N)
rows=$(($(wc -l < "$OUT") - 1))
awk -v n="$rows" -v s="$start" -v e="$end" \
    'BEGIN { printf "%d points in %.2f s: %.2f M points/s\n", n, e - s, n / (e - s) / 1e6 }'
