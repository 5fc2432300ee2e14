#!/usr/bin/env bash
# The container image and the Compose stack, built and run for real:
#   1. a private dockerd (scripts/docker.sh: data under the cache folder, no
#      bridge, no iptables); the debian:bookworm-slim base made from Debian's
#      packages (debootstrap, cached across runs in the cache folder);
#   2. `docker build` of the Dockerfile (nice -n 10, --network host);
#   3. the image on SQLite, as users run it: /healthz, /readyz, a product
#      through the API and the storefront's product page, Docker's health
#      status turns healthy, user 10001 (not root), read-only root file
#      system, SIGTERM stops it cleanly within the grace period;
#   4. docker-compose.yml brought up (with tests/deploy/compose.test.yml naming
#      locally built PostgreSQL 15 and Redis 7 images): migrate runs once and
#      exits 0, the server turns healthy against PostgreSQL and Redis (AUTH),
#      a checkout succeeds, `down` keeps the named volumes, `up` again keeps
#      the data (the order is still there).
# Exit 77 (ctest SKIP_RETURN_CODE) only when dockerd cannot start here.
# Usage: tests/deploy/docker_test.sh [REPO_ROOT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
# shellcheck source=tests/deploy/lib.sh
. "$here/lib.sh"

cache=$(deploy_cache_dir)
ddir="$cache/docker"
work=$(mktemp -d)
project="wstest$$"
sqlite_name="wstest-sqlite-$$"
compose_files=(-f "$root/docker-compose.yml" -f "$here/compose.test.yml")
started=$SECONDS

step() { printf '== [%4ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() { echo "docker_test: FAILED: $*" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: dockerd cannot start: this test starts its own dockerd and needs root"
  exit 77
fi

compose() {
  docker-compose --project-directory "$root" -p "$project" --env-file "$work/compose.env" "${compose_files[@]}" "$@"
}

cleanup() {
  set +e
  if [ -n "${DOCKER_HOST:-}" ] && docker version >/dev/null 2>&1; then
    docker rm -f "$sqlite_name" >/dev/null 2>&1
    [ -f "$work/compose.env" ] && compose down -v --remove-orphans >/dev/null 2>&1
    docker volume rm "$sqlite_name-data" >/dev/null 2>&1
  fi
  bash "$root/scripts/docker.sh" stop "$ddir" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. dockerd and the base image ---------------------------------------------------
step "starting dockerd (data in $ddir)"
# One dockerd per cache folder: wait for another run of this test to finish.
exec 9>"$cache/docker.lock"
flock -w 1800 9 || fail "another docker test holds $cache/docker.lock"
set +e
out=$(bash "$root/scripts/docker.sh" start "$ddir" 2>&1)
rc=$?
set -e
if [ "$rc" -eq 3 ]; then
  echo "SKIPPED: dockerd cannot start: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-400)"
  exit 77
elif [ "$rc" -ne 0 ]; then
  fail "scripts/docker.sh start: $out"
fi
eval "$(printf '%s\n' "$out" | grep '^export DOCKER_HOST=')"
export DOCKER_HOST
docker version --format 'docker: client {{.Client.Version}}, server {{.Server.Version}}'

step "base image debian:bookworm-slim (debootstrap, cached)"
bash "$root/scripts/docker.sh" base-image "$ddir"

# --- 2. the server image ---------------------------------------------------------------
step "docker build (nice -n 10, --network host)"
if ! nice -n 10 docker build --network host --build-arg BASE_IMAGE=debian:bookworm-slim \
    -t watchstore-server:test "$root" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  fail "docker build"
fi
grep -E '^Successfully (built|tagged)' "$work/build.log" || true
[ "$(docker image inspect -f '{{.Config.User}}' watchstore-server:test)" = "10001:10001" ] ||
  fail "the image does not run as 10001:10001"

# --- 3. the image on SQLite --------------------------------------------------------------
port=$(free_port)
base="http://127.0.0.1:$port"
step "docker run on SQLite, read-only root, port $port"
docker volume create "$sqlite_name-data" >/dev/null
run_opts=(--network host --read-only --tmpfs "/tmp:rw,nosuid,nodev,noexec,size=64m"
  --cap-drop ALL --security-opt no-new-privileges
  -e "WATCHSTORE_LISTEN=127.0.0.1:$port" -e "WATCHSTORE_METRICS_LISTEN=off" -v "$sqlite_name-data:/var/lib/watchstore")
docker run --rm "${run_opts[@]}" watchstore-server:test seed-demo >"$work/seed.log" 2>&1 ||
  { cat "$work/seed.log" >&2; fail "seed-demo"; }
docker run -d --name "$sqlite_name" "${run_opts[@]}" watchstore-server:test serve >/dev/null

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
  sleep 0.5
done
curl -fsS "$base/healthz" >/dev/null || { docker logs "$sqlite_name" >&2; fail "/healthz"; }
curl -fsS "$base/readyz" >/dev/null || fail "/readyz"
echo "/healthz and /readyz answer 200"
product=$(python3 "$here/store_client.py" "$base" product) || fail "product page"
echo "product $product: API and storefront page served"

uid=$(docker exec "$sqlite_name" id -u)
[ "$uid" = 10001 ] || fail "the server runs as uid $uid, not 10001"
[ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$sqlite_name")" = true ] || fail "root file system not read-only"
if docker exec "$sqlite_name" sh -c 'echo x > /usr/local/bin/probe' 2>/dev/null; then
  fail "the root file system is writable"
fi
echo "runs as uid 10001 on a read-only root file system"

health=""
for _ in $(seq 1 60); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$sqlite_name")
  [ "$health" = healthy ] && break
  sleep 1
done
[ "$health" = healthy ] || fail "health status is '$health' after 60 s"
echo "Docker health status: healthy"

stop_started=$SECONDS
docker stop -t 25 "$sqlite_name" >/dev/null
stop_took=$((SECONDS - stop_started))
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$sqlite_name")
[ "$stop_took" -lt 25 ] || fail "SIGTERM: stopping took $stop_took s (grace period 25 s)"
[ "$exit_code" = 0 ] || fail "SIGTERM: exit code $exit_code (137 = killed after the grace period)"
echo "SIGTERM: stopped cleanly (exit 0) in $stop_took s"
docker rm -f "$sqlite_name" >/dev/null

# --- 4. the Compose stack ------------------------------------------------------------------
step "PostgreSQL 15 and Redis 7 images from the same base"
for img in postgres:15-bookworm redis:7-bookworm; do
  name=${img%%:*}
  if ! nice -n 10 docker build --network host --build-arg BASE_IMAGE=debian:bookworm-slim \
      -t "watchstore-test/$img" "$here/images/$name" >"$work/build-$name.log" 2>&1; then
    tail -n 30 "$work/build-$name.log" >&2
    fail "docker build $img"
  fi
done

# docker-compose.yml gives the server nofile 65536; a container cannot go
# above the daemon's own hard limit, which this machine may cap lower (a
# systemd-started docker has no cap). Then lower it for the test, and say so.
hard_nofile=$(ulimit -Hn)
if [ "$hard_nofile" != unlimited ] && [ "$hard_nofile" -lt 65536 ]; then
  printf 'services:\n  server:\n    ulimits:\n      nofile:\n        soft: %s\n        hard: %s\n' \
    "$hard_nofile" "$hard_nofile" >"$work/compose.limits.yml"
  compose_files+=(-f "$work/compose.limits.yml")
  echo "note: this machine caps open files at $hard_nofile; the server's nofile ulimit is lowered to it for the test"
fi

http_port=$(free_port)
pg_password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
redis_password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
sed -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$pg_password/" \
    -e "s/^REDIS_PASSWORD=.*/REDIS_PASSWORD=$redis_password/" \
    -e "s/^WATCHSTORE_IMAGE=.*/WATCHSTORE_IMAGE=watchstore-server:test/" \
    -e "s/^WATCHSTORE_HTTP_PORT=.*/WATCHSTORE_HTTP_PORT=$http_port/" \
    "$root/deploy/compose.env.example" >"$work/compose.env"
base="http://127.0.0.1:$http_port"

wait_server_healthy() {
  local health="" cid
  cid=$(compose ps -q server)
  for _ in $(seq 1 120); do
    health=$(docker inspect -f '{{.State.Health.Status}}' "$cid" 2>/dev/null || true)
    [ "$health" = healthy ] && return 0
    sleep 1
  done
  compose logs --tail 40 >&2 || true
  fail "compose: the server is '$health' after 120 s"
}

step "docker-compose up (project $project, port $http_port)"
compose up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; compose logs --tail 40 >&2; fail "compose up"; }
wait_server_healthy
migrate=$(compose ps -q migrate)
[ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' "$migrate")" = "exited 0 0" ] ||
  fail "migrate did not run exactly once and exit 0: $(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' "$migrate")"
docker logs "$migrate" 2>&1 | grep -q '^migrated postgres ' || fail "migrate did not report a PostgreSQL migration"
echo "migrate ran once against PostgreSQL and exited 0; the server is healthy"
curl -fsS "$base/readyz" >/dev/null || fail "/readyz through Compose"

compose run --rm --no-deps server seed-demo >"$work/seed-compose.log" 2>&1 ||
  { cat "$work/seed-compose.log" >&2; fail "seed-demo through Compose"; }
email="buyer-$project@example.com"
password="correct horse battery staple"
order=$(python3 "$here/store_client.py" "$base" checkout "$email" "$password") || fail "checkout through Compose"
echo "checkout: order $order"
redis_keys=$(compose exec -T redis redis-cli --no-auth-warning -a "$redis_password" dbsize | tr -d '\r')
[ "${redis_keys:-0}" -gt 0 ] || fail "the server wrote nothing to Redis (dbsize $redis_keys)"
if compose exec -T redis env -u REDISCLI_AUTH redis-cli ping 2>/dev/null | grep -q PONG; then
  fail "Redis answers without its password"
fi
echo "Redis: AUTH required, $redis_keys keys written by the server"

step "docker-compose down (volumes kept), up again"
compose down >"$work/down.log" 2>&1 || { cat "$work/down.log" >&2; fail "compose down"; }
for v in postgres-data redis-data; do
  docker volume inspect "${project}_$v" >/dev/null 2>&1 || fail "compose down removed the volume $v"
done
echo "named volumes postgres-data and redis-data kept"
compose up -d --no-build >"$work/up2.log" 2>&1 || { cat "$work/up2.log" >&2; fail "compose up (second)"; }
wait_server_healthy
orders=$(python3 "$here/store_client.py" "$base" orders "$email" "$password") || fail "orders after restart"
printf '%s\n' "$orders" | grep -qx "$order" || fail "order $order is gone after down/up (orders: $orders)"
echo "after down/up: the account and order $order are still there"

step "done in $((SECONDS - started)) s"
echo "docker_test: image built and run; Compose stack up, checkout, down/up keeps data: all passed"
