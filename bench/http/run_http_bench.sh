#!/usr/bin/env bash
# HTTP load benchmark of watchstore-server with wrk on loopback.
#
#   bench/http/run_http_bench.sh [BUILD_DIR]       (default: ./build)
#
# For each connection count it measures, against one server, in one run:
#   hello     GET /bench/hello    the floor: the same server's routing, headers,
#                                 logging and metrics around a fixed reply
#   product   GET /api/v1/products/{id}, warm cache
#   list      GET /api/v1/products?limit=20 (the storefront's first page)
#   checkout  POST /api/v1/cart/items + POST /api/v1/orders, one customer per
#             connection, a fresh Idempotency-Key per order (req/s counts both)
# and checks: product >= 60% of hello, and no non-2xx response anywhere.
#
# Environment: DURATION (5s), CONNECTIONS ("32 256"), THREADS (server workers,
# 256), WRK_THREADS (2), ACCESS_LOG (file | off; default file), DATABASE (a
# postgres:// URL of an EMPTY database to measure PostgreSQL; default a
# temporary SQLite file with the defaults, synchronous=FULL), seeded with the
# demo catalog. Payments are manual; the unpaid-order caps are off (every
# benchmark order stays unpaid).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
server="$build/bindings/http/watchstore-server"
setup="$build/bench/http/http_bench_setup"
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32 256}
threads=${THREADS:-256}
wrk_threads=${WRK_THREADS:-2}
access_log=${ACCESS_LOG:-file}

for bin in "$server" "$setup"; do
  [ -x "$bin" ] || { echo "missing $bin: build watchstore-server and http_bench_setup first" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

max_conn=0
for c in $connections; do [ "$c" -gt "$max_conn" ] && max_conn=$c; done

db=${DATABASE:-$work/bench.db}
db_kind=sqlite
case "$db" in postgres://* | postgresql://*) db_kind=postgres ;; esac
"$server" migrate --database "$db" >/dev/null || { echo "migrate failed" >&2; exit 1; }
"$server" seed-demo --database "$db" >/dev/null || { echo "seed-demo failed" >&2; exit 1; }
"$setup" --database "$db" --users "$max_conn" >"$work/tokens" 2>"$work/setup.err"
variant=$(sed -n 's/^variant=//p' "$work/setup.err")
[ -n "$variant" ] || { cat "$work/setup.err" >&2; exit 1; }

log_flag=(--access-log "$work/access.log")
[ "$access_log" = off ] && log_flag=(--access-log off)
# wrk's connections all come from 127.0.0.1: no per-address connection cap
# (a production server behind a load balancer exempts it as a trusted proxy).
"$server" serve --database "$db" --listen 127.0.0.1:0 --threads "$threads" --bench-hello \
  --metrics-listen off --max-connections-per-address 0 \
  --max-unpaid-per-buyer 0 --max-unpaid-per-address 0 \
  --static-dir "$top/frontend" "${log_flag[@]}" 2>"$work/server.err" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*"detail":"http://127.0.0.1:\([0-9]*\) .*|\1|p' "$work/server.err" | head -n1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.err" >&2; exit 1; }
base="http://127.0.0.1:$port"
product_id=5
# Warm the cache (retrying while the server comes up on a busy machine).
for path in "/api/v1/products/$product_id" "/api/v1/products?limit=20"; do
  curl -fsS --retry 10 --retry-connrefused --retry-delay 1 "$base$path" >/dev/null ||
    { echo "warm-up request $path failed" >&2; cat "$work/server.err" >&2; exit 1; }
done

rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
non2xx() { local n; n=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1"); echo "${n:-0}"; }
p99() { sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$1"; }
errors() { grep 'Socket errors' "$1" | tr -s ' ' || true; }

status=0
printf '\nwatchstore-server %s, %s, %s workers, wrk -t%s -d%s, database %s, access log %s\n' \
  "$base" "$(nproc) cpus" "$threads" "$wrk_threads" "$duration" "$db_kind" "$access_log"
printf '%-6s %-9s %12s %10s %8s  %s\n' conns case "req/s" "p99" "non-2xx" "vs hello"
for c in $connections; do
  wt=$wrk_threads
  [ "$wt" -gt "$c" ] && wt=$c
  declare -A r=()
  for case in hello product list; do
    case $case in
      hello) url="$base/bench/hello" ;;
      product) url="$base/api/v1/products/$product_id" ;;
      list) url="$base/api/v1/products?limit=20" ;;
    esac
    out="$work/$case-$c.txt"
    wrk -t"$wt" -c"$c" -d"$duration" --latency -s "$here/get.lua" "$url" >"$out" 2>&1
    r[$case]=$(rps "$out")
    ratio=$(awk -v a="${r[$case]}" -v b="${r[hello]}" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    printf '%-6s %-9s %12s %10s %8s  %s\n' "$c" "$case" "${r[$case]}" "$(p99 "$out")" "$(non2xx "$out")" "$ratio"
    errors "$out"
    [ "$(non2xx "$out")" = 0 ] || status=1
  done
  ok=$(awk -v a="${r[product]}" -v b="${r[hello]}" 'BEGIN { print (a >= 0.6 * b) ? 1 : 0 }')
  [ "$ok" = 1 ] || { echo "FAIL: product detail below 60% of hello at $c connections" >&2; status=1; }
  out="$work/checkout-$c.txt"
  WS_TOKENS="$work/tokens" WS_VARIANT="$variant" WS_RUN="$c-$RANDOM" \
    wrk -t"$c" -c"$c" -d"$duration" --latency -s "$here/checkout.lua" "$base" >"$out" 2>&1
  orders=$(awk -v a="$(rps "$out")" 'BEGIN { printf "%.0f", a / 2 }')
  printf '%-6s %-9s %12s %10s %8s  %s orders/s\n' "$c" "checkout" "$(rps "$out")" "$(p99 "$out")" "$(non2xx "$out")" "$orders"
  errors "$out"
  [ "$(non2xx "$out")" = 0 ] || status=1
  unset r
done
if [ "$status" = 0 ]; then echo "PASS: product >= 60% of hello; no non-2xx"; else echo "FAIL"; fi
exit "$status"
