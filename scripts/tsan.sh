#!/usr/bin/env bash
# Builds the core and the 64-thread checkout test with ThreadSanitizer and
# runs it ROUNDS times (default 100). Used by ctest (tests/tsan) and by hand:
#   scripts/tsan.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build-tsan}
rounds=${2:-100}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWATCHSTORE_SANITIZE=thread \
  -DWATCHSTORE_WITH_SQLITE=OFF -DWATCHSTORE_WITH_POSTGRES=OFF -DWATCHSTORE_WITH_REDIS=OFF \
  -DWATCHSTORE_BUILD_SERVER=OFF -DWATCHSTORE_BUILD_BENCH=OFF -DWATCHSTORE_BUILD_EXAMPLES=OFF \
  -DWATCHSTORE_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target concurrency_test >/dev/null
# halt_on_error: the first race fails the run.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" WATCHSTORE_CONCURRENCY_ROUNDS="$rounds" \
  "$build/tests/concurrency_test"
