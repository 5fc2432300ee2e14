#!/usr/bin/env bash
# The latency tail of product detail on PostgreSQL + Redis, with wrk on
# loopback: random ids over many products, p50/p99/p99.9/max and timeouts,
# optionally while Redis is paused or stalling and while a CPU-saturating
# neighbour runs; then the hello route beside a raw cpp-httplib hello server.
#
#   bench/http/run_tail_bench.sh [BUILD_DIR]          (default: ./build)
#
# Environment:
#   DURATION     wrk run length (60s)
#   CONNECTIONS  wrk connections (32); WRK_THREADS (2); THREADS server workers (256)
#   PRODUCTS     watches in the catalog (10000)
#   REDIS_SLOW   none | pause | stalls (none)
#                  pause:  CLIENT PAUSE 5000 ALL once, a third into the run
#                  stalls: CLIENT PAUSE 60 ALL every 300 ms for the whole run
#   NEIGHBOUR    busy-loop processes beside the server (0; `nproc` saturates)
#   WARMUP       wrk run over random ids before measuring (10s)
#   SERVER_FLAGS extra watchstore-server flags for the measured run
#   BEFORE_FLAGS when set, product detail is first measured on a server with
#                these flags (same databases, same conditions), e.g.
#                "--cache-max-stale 0s --redis-request-budget 50ms" for the
#                behaviour before stale-while-revalidate and the budget
#
# Starts its own PostgreSQL and redis-server (scripts/services.sh, in a
# temporary directory) and stops them, the server and the neighbours on exit.
# Prints one line per case (product-before, product, hello, raw-hello):
#   case req/s p50 p99 p99.9 max timeouts errors non-2xx
# then the cache's /metrics counters (errors, stale serves, refreshes,
# breaker openings) accumulated over the product run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
server="$build/bindings/http/watchstore-server"
setup="$build/bench/http/http_bench_setup"
raw_hello="$build/bench/http/raw_hello"
duration=${DURATION:-60s}
connections=${CONNECTIONS:-32}
wrk_threads=${WRK_THREADS:-2}
threads=${THREADS:-256}
products=${PRODUCTS:-10000}
redis_slow=${REDIS_SLOW:-none}
neighbour=${NEIGHBOUR:-0}
warmup=${WARMUP:-10s}
read -r -a server_flags <<<"${SERVER_FLAGS:-}"
before_flags=${BEFORE_FLAGS:-}

for bin in "$server" "$setup" "$raw_hello"; do
  [ -x "$bin" ] || { echo "missing $bin: build watchstore-server, http_bench_setup and raw_hello" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v redis-cli >/dev/null || { echo "redis-cli is not installed" >&2; exit 2; }
case $redis_slow in none | pause | stalls) ;; *) echo "REDIS_SLOW must be none, pause or stalls" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/ws-tail-XXXXXX)
pids=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${redis_port:-}" ]; then redis-cli -p "$redis_port" client unpause >/dev/null 2>&1 || true; fi
  "$top/scripts/services.sh" stop-redis "$work/redis" >/dev/null 2>&1 || true
  "$top/scripts/services.sh" stop-postgres "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
seconds() { # 60s, 2m, 500ms -> whole seconds (at least 1)
  local d=$1
  case $d in
    *ms) echo 1 ;;
    *m) echo $((${d%m} * 60)) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
  esac
}

mkdir -p "$work/pg" "$work/redis"
pg_url=$("$top/scripts/services.sh" start-postgres "$work/pg" | sed -n 's/^export WATCHSTORE_TEST_POSTGRES_URL=//p')
redis_url=$("$top/scripts/services.sh" start-redis "$work/redis" | sed -n 's/^export WATCHSTORE_TEST_REDIS_URL=//p')
if [ -z "$pg_url" ] || [ -z "$redis_url" ]; then echo "could not start PostgreSQL or Redis" >&2; exit 1; fi
redis_port=${redis_url##*:}
redis_port=${redis_port%%/*}

"$server" migrate --database "$pg_url" >/dev/null || { echo "migrate failed" >&2; exit 1; }
echo "seeding $products products..." >&2
"$setup" --database "$pg_url" --users 1 --products "$products" >/dev/null 2>"$work/setup.err" ||
  { cat "$work/setup.err" >&2; exit 1; }
range=$(sed -n 's/^products=//p' "$work/setup.err")
first_id=${range%-*}
last_id=${range#*-}
[ -n "$first_id" ] || { cat "$work/setup.err" >&2; exit 1; }

metric() { # sum of a metric's samples in a /metrics dump
  awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%d", s }' "$1"
}
field() { sed -n "s/.*TAIL .*$2=\([0-9.]*\).*/\1/p" "$1"; }
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }

wt=$wrk_threads
[ "$wt" -gt "$connections" ] && wt=$connections
run_secs=$(seconds "$duration")
server_pid=""
port=""
ops_port=""

# start_server FLAGS...: a fresh server (empty in-process cache) on free ports.
start_server() {
  port=$(free_port)
  ops_port=$(free_port)
  "$server" serve --database "$pg_url" --redis "$redis_url" --listen "127.0.0.1:$port" \
    --metrics-listen "127.0.0.1:$ops_port" --threads "$threads" --bench-hello \
    --max-connections-per-address 0 --access-log off --static-dir "$top/frontend" \
    "$@" 2>"$work/server.err" &
  server_pid=$!
  pids+=("$server_pid")
  curl -fs --retry 30 --retry-connrefused --retry-delay 1 \
    "http://127.0.0.1:$port/api/v1/products/$first_id" >/dev/null ||
    { echo "server did not come up" >&2; cat "$work/server.err" >&2; exit 1; }
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

# measure_product LABEL: warm-up, then the timed run with the Redis slowdown;
# wrk's output in $work/LABEL.txt, /metrics before and after.
measure_product() {
  local label=$1 slow_pid=""
  WS_FIRST_ID=$first_id WS_LAST_ID=$last_id wrk -t"$wt" -c"$connections" -d"$warmup" \
    -s "$here/tail.lua" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  case $redis_slow in
    pause)
      (sleep $((run_secs / 3)); redis-cli -p "$redis_port" client pause 5000 all >/dev/null) &
      slow_pid=$!
      ;;
    stalls)
      (end=$((SECONDS + run_secs)); while [ "$SECONDS" -lt "$end" ]; do
         redis-cli -p "$redis_port" client pause 60 all >/dev/null; sleep 0.3; done) &
      slow_pid=$!
      ;;
  esac
  curl -fsS "http://127.0.0.1:$ops_port/metrics" >"$work/$label.before"
  WS_FIRST_ID=$first_id WS_LAST_ID=$last_id wrk -t"$wt" -c"$connections" -d"$duration" \
    --timeout 2s -s "$here/tail.lua" "http://127.0.0.1:$port/" >"$work/$label.txt" 2>&1
  curl -fsS "http://127.0.0.1:$ops_port/metrics" >"$work/$label.after"
  if [ -n "$slow_pid" ]; then wait "$slow_pid" 2>/dev/null || true; fi
  redis-cli -p "$redis_port" client unpause >/dev/null 2>&1 || true
}

raw_port=$(free_port)
"$raw_hello" "$raw_port" "$threads" &
pids+=($!)
curl -fs --retry 30 --retry-connrefused --retry-delay 1 "http://127.0.0.1:$raw_port/bench/hello" >/dev/null ||
  { echo "raw_hello did not come up" >&2; exit 1; }

for _ in $(seq "$neighbour"); do
  (while :; do :; done) &
  pids+=($!)
done

cases=()
if [ -n "$before_flags" ]; then
  read -r -a flags <<<"$before_flags"
  start_server "${flags[@]}"
  measure_product product-before
  stop_server
  cases+=(product-before)
fi
start_server "${server_flags[@]}"
measure_product product
cases+=(product)
for case in hello raw-hello; do
  url="http://127.0.0.1:$port/bench/hello"
  [ "$case" = raw-hello ] && url="http://127.0.0.1:$raw_port/bench/hello"
  wrk -t"$wt" -c"$connections" -d"$duration" --timeout 2s -s "$here/tail.lua" "$url" \
    >"$work/$case.txt" 2>&1
  cases+=("$case")
done

printf '\nwatchstore-server on PostgreSQL + Redis, %s cpus, %s products, wrk -t%s -c%s -d%s,\n' \
  "$(nproc)" "$products" "$wt" "$connections" "$duration"
printf 'redis slowdown: %s, neighbours: %s, server flags: %s; product-before: %s\n' \
  "$redis_slow" "$neighbour" "${SERVER_FLAGS:-none}" "${before_flags:-not run}"
printf '%-15s %10s %9s %9s %9s %9s %8s %6s %7s\n' case "req/s" "p50 ms" "p99 ms" "p99.9 ms" "max ms" timeouts errors non-2xx
status=0
for case in "${cases[@]}"; do
  f="$work/$case.txt"
  grep -q '^TAIL ' "$f" || { echo "$case: wrk failed:" >&2; cat "$f" >&2; status=1; continue; }
  printf '%-15s %10s %9s %9s %9s %9s %8s %6s %7s\n' "$case" "$(rps "$f")" "$(field "$f" p50_ms)" \
    "$(field "$f" p99_ms)" "$(field "$f" p999_ms)" "$(field "$f" max_ms)" "$(field "$f" timeouts)" \
    "$(field "$f" errors)" "$(field "$f" non2xx)"
  # Only the measured configuration is judged; the "before" run may fail.
  if [ "$case" != product-before ] &&
    { [ "$(field "$f" non2xx)" != 0 ] || [ "$(field "$f" timeouts)" != 0 ]; }; then
    status=1
  fi
done
for label in "${cases[@]}"; do
  [ -f "$work/$label.after" ] || continue
  echo "cache during $label (/metrics deltas):"
  for m in watchstore_cache_errors_total watchstore_cache_stale_served_total \
    watchstore_cache_refreshes_total watchstore_cache_breaker_openings_total; do
    printf '  %-44s %s\n' "$m" $(($(metric "$work/$label.after" "$m") - $(metric "$work/$label.before" "$m")))
  done
  awk '/^watchstore_cache_tier_lookups_total/ { print "  " $0 }' "$work/$label.after"
done
if [ "$status" = 0 ]; then echo "no timeouts, no non-2xx"; else echo "FAIL: timeouts or non-2xx responses"; fi
exit "$status"
