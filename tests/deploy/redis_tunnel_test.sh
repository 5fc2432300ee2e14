#!/usr/bin/env bash
# The instances' Redis path, on loopback: the stunnel client the EC2 user data
# installs (watchstore-redis-tunnel, extracted from the rendered template) in
# front of a TLS-only redis-server that requires AUTH, like ElastiCache with
# in-transit encryption and an AUTH token.
#   - through the tunnel, plaintext redis-cli gets NOAUTH without the token and
#     PONG / SET / GET with it;
#   - a tunnel that trusts another CA gets nothing (the certificate is checked);
#   - with the server binary (second argument), watchstore-server talks to the
#     TLS Redis through the tunnel with redis://:TOKEN@127.0.0.1:PORT/0 and a
#     checkout writes its session there.
# Usage: tests/deploy/redis_tunnel_test.sh [REPO_ROOT] [WATCHSTORE_SERVER]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
server_bin=${2:-}

stunnel_bin=$(command -v stunnel4 || command -v stunnel || true)
[ -n "$stunnel_bin" ] || { echo "redis_tunnel: stunnel4 not installed (scripts/setup.sh)" >&2; exit 1; }
for tool in redis-server redis-cli openssl python3; do
  command -v "$tool" >/dev/null || { echo "redis_tunnel: $tool not installed (scripts/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$work/redis.pid" ]; then kill "$(cat "$work/redis.pid")" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "redis_tunnel: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# The tunnel script exactly as the instances get it.
python3 "$here/render_tftpl.py" "$root/terraform/templates/user_data.sh.tftpl" "$work/rendered" >/dev/null
tunnel="$work/rendered/user_data.TUNNEL.sh"
[ -s "$tunnel" ] || fail "no TUNNEL helper in the rendered user data"

# A CA, a server certificate for localhost / 127.0.0.1, and an unrelated CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=watchstore test CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$work/redis.key" -out "$work/redis.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/redis.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/san.ext" -out "$work/redis.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
  -keyout "$work/other.key" -out "$work/other.pem" 2>/dev/null

token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
tls_port=$(free_port)
redis-server --port 0 --tls-port "$tls_port" --bind 127.0.0.1 \
  --tls-cert-file "$work/redis.pem" --tls-key-file "$work/redis.key" \
  --tls-ca-cert-file "$work/ca.pem" --tls-auth-clients no \
  --requirepass "$token" --save '' --appendonly no \
  --daemonize yes --pidfile "$work/redis.pid" --dir "$work" --logfile "$work/redis.log"
for _ in $(seq 1 50); do
  redis-cli --tls --cacert "$work/ca.pem" -h localhost -p "$tls_port" --no-auth-warning -a "$token" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
echo "redis-server: TLS only on $tls_port, AUTH required"

start_tunnel() { # name accept_port cafile
  TUNNEL_ACCEPT="127.0.0.1:$2" TUNNEL_CONNECT_HOST=localhost TUNNEL_CONNECT_PORT="$tls_port" \
    TUNNEL_CAFILE="$3" TUNNEL_DIR="$work/$1" STUNNEL="$stunnel_bin" \
    bash "$tunnel" >"$work/$1.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "the $1 tunnel does not listen on $2"
}

port=$(free_port)
start_tunnel tunnel "$port" "$work/ca.pem"
grep -q '^verifyChain = yes$' "$work/tunnel/stunnel.conf" || fail "the tunnel does not verify the chain"
echo "stunnel: plaintext 127.0.0.1:$port -> TLS localhost:$tls_port"

out=$(redis-cli -p "$port" ping 2>&1 || true)
case "$out" in *NOAUTH*) ;; *) fail "without the token: expected NOAUTH, got '$out'" ;; esac
[ "$(redis-cli -p "$port" --no-auth-warning -a "$token" ping)" = PONG ] || fail "PING through the tunnel"
redis-cli -p "$port" --no-auth-warning -a "$token" set tunnel-probe ok >/dev/null
[ "$(redis-cli --tls --cacert "$work/ca.pem" -h localhost -p "$tls_port" --no-auth-warning -a "$token" get tunnel-probe)" = ok ] ||
  fail "a write through the tunnel did not reach the TLS server"
echo "through the tunnel: NOAUTH without the token; PING, SET, GET with it"

bad_port=$(free_port)
start_tunnel untrusted "$bad_port" "$work/other.pem"
out=$(timeout 10 redis-cli -p "$bad_port" --no-auth-warning -a "$token" ping 2>&1 || true)
[ "$out" != PONG ] || fail "a tunnel trusting another CA reached Redis"
grep -qi 'certificate verify failed\|verify error\|CERT' "$work/untrusted.log" || fail "stunnel did not report the certificate failure"
echo "a tunnel that does not trust the server's CA is refused: $(grep -io 'certificate verify failed' "$work/untrusted.log" | head -n 1)"

if [ -n "$server_bin" ]; then
  [ -x "$server_bin" ] || fail "$server_bin is not executable"
  http_port=$(free_port)
  db="$work/store.db"
  WATCHSTORE_DATABASE_URL="$db" "$server_bin" seed-demo >"$work/seed.log" 2>&1 || fail "seed-demo"
  WATCHSTORE_LISTEN="127.0.0.1:$http_port" WATCHSTORE_DATABASE_URL="$db" \
    WATCHSTORE_REDIS_URL="redis://:$token@127.0.0.1:$port/0" \
    WATCHSTORE_STATIC_DIR="$root/frontend" "$server_bin" serve >"$work/server.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$http_port/readyz" 2>/dev/null && break
    sleep 0.1
  done
  before=$(redis-cli --tls --cacert "$work/ca.pem" -h localhost -p "$tls_port" --no-auth-warning -a "$token" dbsize)
  order=$(python3 "$here/store_client.py" "http://127.0.0.1:$http_port" checkout buyer@example.com "correct horse battery staple") ||
    fail "checkout with Redis behind the tunnel"
  after=$(redis-cli --tls --cacert "$work/ca.pem" -h localhost -p "$tls_port" --no-auth-warning -a "$token" dbsize)
  [ "$after" -gt "$before" ] || fail "the server wrote nothing to Redis through the tunnel ($before -> $after keys)"
  echo "watchstore-server through the tunnel: order $order placed, Redis keys $before -> $after"
fi
echo "redis_tunnel: all passed"
