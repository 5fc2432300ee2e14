#!/bin/sh
# Container HEALTHCHECK for watchstore-server: GET /healthz on the port the
# server listens on (the port part of WATCHSTORE_LISTEN, default 8080).
# Exit 0 when healthy, 1 otherwise (Docker's HEALTHCHECK contract).
set -u
listen="${WATCHSTORE_LISTEN:-0.0.0.0:8080}"
port="${listen##*:}"
case "$port" in
  ''|*[!0-9]*) echo "healthcheck: cannot read a port from WATCHSTORE_LISTEN='$listen'" >&2; exit 1 ;;
esac
if curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:${port}/healthz"; then
  exit 0
fi
exit 1
