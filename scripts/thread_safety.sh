#!/usr/bin/env bash
# Builds the library, the server and the tests with clang and
# -Werror=thread-safety, so the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED
# annotations are checked, not just written. Used by ctest (tests/CMakeLists.txt)
# and by hand:
#   scripts/thread_safety.sh [BUILD_DIR]
# Unoptimized (no CMAKE_BUILD_TYPE) to keep the extra build short.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build-clang}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE= \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-Wthread-safety -Werror=thread-safety" \
  -DWATCHSTORE_BUILD_BENCH=OFF -DWATCHSTORE_BUILD_EXAMPLES=OFF -DWATCHSTORE_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j2 >"$build/build.log" 2>&1 || {
  grep -E "error|warning: .*thread-safety" "$build/build.log" | head -50
  echo "thread-safety build failed (full log: $build/build.log)" >&2
  exit 1
}
echo "thread-safety build: ok"
