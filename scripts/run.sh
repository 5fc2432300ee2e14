#!/usr/bin/env bash
# Builds and starts watchstore-server on the embedded default: a SQLite file
# (var/watchstore.db) and the in-memory cache, with the demo watch catalog,
# serving the storefront at http://127.0.0.1:8080/ . Ctrl-C stops it.
#   scripts/run.sh [extra serve flags]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

bash scripts/setup.sh

build=${WATCHSTORE_BUILD_DIR:-$top/build-release}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DWATCHSTORE_BUILD_TESTS=OFF -DWATCHSTORE_BUILD_BENCH=OFF -DWATCHSTORE_BUILD_EXAMPLES=OFF
cmake --build "$build" -j2 --target watchstore-server

server="$build/bindings/http/watchstore-server"
mkdir -p var
export WATCHSTORE_DATABASE_URL="${WATCHSTORE_DATABASE_URL:-$top/var/watchstore.db}"
export WATCHSTORE_STATIC_DIR="${WATCHSTORE_STATIC_DIR:-$top/frontend}"
export WATCHSTORE_LISTEN="${WATCHSTORE_LISTEN:-127.0.0.1:8080}"
"$server" migrate
"$server" seed-demo
echo "watchstore: http://$WATCHSTORE_LISTEN/"
exec "$server" serve "$@"
