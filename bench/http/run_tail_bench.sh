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
#   SERVER_FLAGS extra watchstore-server flags, e.g. "--cache-max-stale 0s
#                --redis-request-budget 50ms" for the behaviour before
#                stale-while-revalidate and the latency budget
#
# Starts its own PostgreSQL and redis-server (scripts/services.sh, in a
# temporary directory) and stops them, the server and the neighbours on exit.
# Prints one line per case:
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

port=$(free_port)
ops_port=$(free_port)
"$server" serve --database "$pg_url" --redis "$redis_url" --listen "127.0.0.1:$port" \
  --metrics-listen "127.0.0.1:$ops_port" --threads "$threads" --bench-hello \
  --max-connections-per-address 0 --access-log off --static-dir "$top/frontend" \
  "${server_flags[@]}" 2>"$work/server.err" &
pids+=($!)
base="http://127.0.0.1:$port"
curl -fs --retry 30 --retry-connrefused --retry-delay 1 "$base/api/v1/products/$first_id" >/dev/null ||
  { echo "server did not come up" >&2; cat "$work/server.err" >&2; exit 1; }

raw_port=$(free_port)
"$raw_hello" "$raw_port" "$threads" &
pids+=($!)
curl -fs --retry 30 --retry-connrefused --retry-delay 1 "http://127.0.0.1:$raw_port/bench/hello" >/dev/null ||
  { echo "raw_hello did not come up" >&2; exit 1; }

metric() { # sum of a metric's samples in a /metrics dump
  awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%d", s }' "$1"
}

for _ in $(seq "$neighbour"); do
  (while :; do :; done) &
  pids+=($!)
done

# Warm-up over random ids (fills Redis and L1).
wt=$wrk_threads
[ "$wt" -gt "$connections" ] && wt=$connections
WS_FIRST_ID=$first_id WS_LAST_ID=$last_id wrk -t"$wt" -c"$connections" -d"$warmup" \
  -s "$here/tail.lua" "$base/" >/dev/null 2>&1 || true

run_secs=$(seconds "$duration")
slow_pid=""
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
[ -n "$slow_pid" ] && pids+=("$slow_pid")

curl -fsS "http://127.0.0.1:$ops_port/metrics" >"$work/before.txt"
WS_FIRST_ID=$first_id WS_LAST_ID=$last_id wrk -t"$wt" -c"$connections" -d"$duration" \
  --timeout 2s -s "$here/tail.lua" "$base/" >"$work/product.txt" 2>&1
curl -fsS "http://127.0.0.1:$ops_port/metrics" >"$work/after.txt"
for case in hello raw-hello; do
  url="$base/bench/hello"
  [ "$case" = raw-hello ] && url="http://127.0.0.1:$raw_port/bench/hello"
  wrk -t"$wt" -c"$connections" -d"$duration" --timeout 2s -s "$here/tail.lua" "$url" \
    >"$work/$case.txt" 2>&1
done

field() { sed -n "s/.*TAIL .*$2=\([0-9.]*\).*/\1/p" "$1"; }
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
printf '\nwatchstore-server on PostgreSQL + Redis, %s cpus, %s products, wrk -t%s -c%s -d%s,\n' \
  "$(nproc)" "$products" "$wt" "$connections" "$duration"
printf 'redis slowdown: %s, neighbours: %s, server flags: %s\n' "$redis_slow" "$neighbour" "${SERVER_FLAGS:-none}"
printf '%-10s %10s %9s %9s %9s %9s %8s %6s %7s\n' case "req/s" "p50 ms" "p99 ms" "p99.9 ms" "max ms" timeouts errors non-2xx
status=0
for case in product hello raw-hello; do
  f="$work/$case.txt"
  grep -q '^TAIL ' "$f" || { echo "$case: wrk failed:" >&2; cat "$f" >&2; status=1; continue; }
  printf '%-10s %10s %9s %9s %9s %9s %8s %6s %7s\n' "$case" "$(rps "$f")" "$(field "$f" p50_ms)" \
    "$(field "$f" p99_ms)" "$(field "$f" p999_ms)" "$(field "$f" max_ms)" "$(field "$f" timeouts)" \
    "$(field "$f" errors)" "$(field "$f" non2xx)"
  if [ "$(field "$f" non2xx)" != 0 ] || [ "$(field "$f" timeouts)" != 0 ]; then status=1; fi
done
echo "cache during the product run (/metrics deltas):"
for m in watchstore_cache_errors_total watchstore_cache_stale_served_total \
  watchstore_cache_refreshes_total watchstore_cache_breaker_openings_total; do
  printf '  %-44s %s\n' "$m" $(($(metric "$work/after.txt" "$m") - $(metric "$work/before.txt" "$m")))
done
awk '/^watchstore_cache_tier_lookups_total/ { print "  " $0 }' "$work/after.txt"
if [ "$status" = 0 ]; then echo "no timeouts, no non-2xx"; else echo "FAIL: timeouts or non-2xx responses"; fi
exit "$status"
