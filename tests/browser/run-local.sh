#!/usr/bin/env bash
# Runs the storefront browser tests against a fresh watchstore-server:
# a new SQLite file in a temporary folder (or WATCHSTORE_BROWSER_DATABASE: any
# --database value the setup commands and the server share, e.g. a throwaway
# PostgreSQL URL), the demo catalog, an admin account,
# development cookies (plain http on loopback) and a free port.
#
#   tests/browser/run-local.sh            # finds build*/bindings/http/watchstore-server
#   WATCHSTORE_SERVER=/path/to/watchstore-server tests/browser/run-local.sh
#
# Extra environment passed through: WATCHSTORE_ARTIFACTS_DIR (screenshots; default
# test-artifacts), WATCHSTORE_BROWSER_GREP (run only matching tests).
# Prints the test runner's closing line "N passed, N failed"; exit status 0 only when all pass.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

server=${WATCHSTORE_SERVER:-}
if [ -z "$server" ]; then
  for candidate in "$top"/build*/bindings/http/watchstore-server; do
    if [ -x "$candidate" ]; then server=$candidate; break; fi
  done
fi
if [ -z "$server" ] || [ ! -x "$server" ]; then
  echo "run-local: watchstore-server not found; build it or set WATCHSTORE_SERVER" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -d "$top/tools/node_modules/playwright-core" ]; then
  echo "run-local: tools/node_modules/playwright-core is missing; run: (cd tools && npm ci)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d)
pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
db=${WATCHSTORE_BROWSER_DATABASE:-$tmp/store.db}
export WATCHSTORE_ADMIN_EMAIL=${WATCHSTORE_ADMIN_EMAIL:-admin@watchstore.test}
export WATCHSTORE_ADMIN_PASSWORD=${WATCHSTORE_ADMIN_PASSWORD:-browser-tests-admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}

"$server" migrate --database="$db" >"$tmp/setup.log" 2>&1
"$server" seed-demo --database="$db" >>"$tmp/setup.log" 2>&1
"$server" create-admin --database="$db" --email="$WATCHSTORE_ADMIN_EMAIL" >>"$tmp/setup.log" 2>&1 </dev/null

"$server" serve --listen="127.0.0.1:$port" --database="$db" --static-dir="$top/frontend" \
  --insecure-cookies --access-log=off --metrics-listen=off \
  --mail-dir="$tmp/mail" --public-url="http://127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
pid=$!

export WATCHSTORE_BASE_URL="http://127.0.0.1:$port"
# The server's file mailer writes each e-mail here; the tests follow their links.
export WATCHSTORE_MAIL_DIR="$tmp/mail"
ready=0
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$WATCHSTORE_BASE_URL/healthz"; then
    ready=1; break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "run-local: the server did not become ready:" >&2
  cat "$tmp/setup.log" "$tmp/server.log" >&2 || true
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
node "$here/storefront.test.mjs" || status=$?
if [ "$status" != 0 ]; then
  echo "--- server log (last 40 lines) ---" >&2
  tail -n 40 "$tmp/server.log" >&2 || true
fi
exit "$status"
