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
cmake --build "$tmp/examples" -j2 --target quickstart >/dev/null
out=$("$tmp/examples/quickstart")
echo "$out"
grep -q "Order completed." <<<"$out"
# No third-party header leaks into the installed public headers.
if grep -rlE '#include *[<"](libpq-fe|sqlite3|hiredis/|httplib|rapidjson/|sodium)' "$tmp/prefix/include/watchstore"; then
  echo "a public header includes a third-party header" >&2
  exit 1
fi
echo "install test: ok"
