#!/bin/sh
# Installs the Debian 12 packages Tessera needs to build, test and run, if any are missing.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -eu

PACKAGES="build-essential cmake ninja-build pkg-config
 libgdal-dev gdal-bin libgeos-dev libproj-dev proj-bin proj-data
 libspatialite-dev libsqlite3-mod-spatialite libsqlite3-dev sqlite3
 libboost-dev libboost-system-dev libprotozero-dev nlohmann-json3-dev libsodium-dev zlib1g-dev
 libgtest-dev libgmock-dev libbenchmark-dev python3 python3-jsonschema
 chromium fonts-noto-cjk"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "tessera: installing missing packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "tessera: need root to install packages; run as root or install:$missing" >&2
        exit 1
    fi
else
    SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
