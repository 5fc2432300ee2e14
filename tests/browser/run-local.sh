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
# WATCHSTORE_BROWSER_PAYMENTS=stripe runs the server with --payments=stripe against
# the Stripe stand-in (tests/payments/stripe_standin.cjs) on another free port,
# its webhooks delivered to the server; the default is the manual provider.
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
standin_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -n "$standin_pid" ]; then kill -TERM "$standin_pid" 2>/dev/null || true; fi
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

payments=(--payments=manual)
if [ "${WATCHSTORE_BROWSER_PAYMENTS:-manual}" = stripe ]; then
  export WATCHSTORE_STRIPE_STANDIN_KEY=sk_test_browser_standin
  node "$top/tests/payments/stripe_standin.cjs" --secret-key "$WATCHSTORE_STRIPE_STANDIN_KEY" \
    --port-file "$tmp/standin.port" --lifetime-seconds 900 >"$tmp/standin.log" 2>&1 &
  standin_pid=$!
  for _ in $(seq 1 100); do [ -s "$tmp/standin.port" ] && break; sleep 0.1; done
  WATCHSTORE_STRIPE_STANDIN_URL="http://127.0.0.1:$(cat "$tmp/standin.port")"
  export WATCHSTORE_STRIPE_STANDIN_URL
  export WATCHSTORE_STRIPE_SECRET_KEY=$WATCHSTORE_STRIPE_STANDIN_KEY
  export WATCHSTORE_STRIPE_WEBHOOK_SECRET=whsec_browser_standin
  export WATCHSTORE_STRIPE_PUBLISHABLE_KEY=pk_test_browser_standin
  export WATCHSTORE_STRIPE_API_BASE=$WATCHSTORE_STRIPE_STANDIN_URL
  node -e 'fetch(process.argv[1] + "/__standin/webhook", {method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({url: process.argv[2], secret: process.argv[3], auto_deliver: true})})
    .then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$WATCHSTORE_STRIPE_STANDIN_URL" "http://127.0.0.1:$port/api/v1/payments/stripe/webhook" \
    "$WATCHSTORE_STRIPE_WEBHOOK_SECRET"
  payments=(--payments=stripe)
fi

"$server" serve --listen="127.0.0.1:$port" --database="$db" --static-dir="$top/frontend" \
  --insecure-cookies --access-log=off --metrics-listen=off "${payments[@]}" \
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
