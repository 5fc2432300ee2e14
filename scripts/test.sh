#!/usr/bin/env bash
# Builds everything and runs every test through ctest: unit and conformance
# suites (memory, SQLite, PostgreSQL, Redis), HTTP, browser, deployment
# checks, the install test and the TSan run. Starts a throwaway PostgreSQL and
# redis-server on loopback (free ports) and stops them after, unless
# WATCHSTORE_TEST_POSTGRES_URL / WATCHSTORE_TEST_REDIS_URL are already set
# (e.g. CI service containers).
#
#   scripts/test.sh [extra ctest arguments, e.g. -R Sqlite]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

bash scripts/setup.sh

build=${WATCHSTORE_BUILD_DIR:-$top/build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWATCHSTORE_WERROR="$werror"
cmake --build "$build" -j2

services=$(mktemp -d)
cleanup() {
  scripts/services.sh stop-postgres "$services/pg" || true
  scripts/services.sh stop-redis "$services/redis" || true
  rm -rf "$services"
}
trap cleanup EXIT
if [ -z "${WATCHSTORE_TEST_POSTGRES_URL:-}" ]; then
  eval "$(scripts/services.sh start-postgres "$services/pg")"
fi
if [ -z "${WATCHSTORE_TEST_REDIS_URL:-}" ]; then
  eval "$(scripts/services.sh start-redis "$services/redis")"
fi
export WATCHSTORE_TEST_POSTGRES_URL WATCHSTORE_TEST_REDIS_URL
export WATCHSTORE_TEST_POSTGRES_DIR="${WATCHSTORE_TEST_POSTGRES_DIR:-}"
export WATCHSTORE_TEST_REDIS_DIR="${WATCHSTORE_TEST_REDIS_DIR:-}"
export WATCHSTORE_ARTIFACTS_DIR="${WATCHSTORE_ARTIFACTS_DIR:-$top/test-artifacts}"
mkdir -p "$WATCHSTORE_ARTIFACTS_DIR"

ctest --test-dir "$build" --output-on-failure -j2 --timeout 1500 "$@"
