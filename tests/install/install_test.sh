#!/usr/bin/env bash
# Installs this build of libwatchstore into a temporary prefix, then builds
# examples/ as an outside project would (find_package(watchstore CONFIG
# REQUIRED), watchstore::watchstore) and runs the quickstart.
#   install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/examples" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/examples" -j2 --target quickstart postgres_redis >/dev/null
out=$("$tmp/examples/quickstart")
echo "$out"
grep -q "Order completed." <<<"$out"
# No third-party header leaks into the installed public headers.
if grep -rlE '#include *[<"](libpq-fe|sqlite3|hiredis/|httplib|rapidjson/|sodium)' "$tmp/prefix/include/watchstore"; then
  echo "a public header includes a third-party header" >&2
  exit 1
fi
# Components: what was built is found; a component that does not exist
# fails find_package with REQUIRED and is reported as not found otherwise.
probe() {  # probe NAME CMAKE_BODY -> configure a tiny project, print its exit code
  mkdir -p "$tmp/$1"
  printf 'cmake_minimum_required(VERSION 3.25)\nproject(p LANGUAGES CXX)\n%s\n' "$2" >"$tmp/$1/CMakeLists.txt"
  cmake -S "$tmp/$1" -B "$tmp/$1/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/$1.log" 2>&1
}
probe ok 'find_package(watchstore CONFIG REQUIRED COMPONENTS sqlite postgres redis stripe)
if(NOT TARGET watchstore::postgres OR NOT TARGET watchstore::redis OR NOT TARGET watchstore::stripe OR NOT TARGET watchstore::core)
  message(FATAL_ERROR "targets missing")
endif()'
if probe missing 'find_package(watchstore CONFIG REQUIRED COMPONENTS mongodb)'; then
  echo "find_package(watchstore COMPONENTS mongodb) should fail" >&2
  exit 1
fi
# Only the headers of adapters that were built are installed, and the core's
# headers never include an adapter's.
for h in sqlite_storage.h postgres_storage.h redis_cache.h stripe_provider.h; do
  [ -f "$tmp/prefix/include/watchstore/$h" ] || { echo "missing $h" >&2; exit 1; }
done
if grep -lE '#include "watchstore/(sqlite_storage|postgres_storage|redis_cache|stripe_provider)\.h"' \
    "$src"/libwatchstore/include/watchstore/*.h; then
  echo "a core header includes an adapter header" >&2
  exit 1
fi
echo "install test: ok"
