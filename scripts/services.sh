#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and redis-server for tests, on loopback, free ports,
# private directories. Never the default ports or /var/run/postgresql.
#
#   scripts/services.sh start-postgres DIR   # prints: export WATCHSTORE_TEST_POSTGRES_URL=...
#   scripts/services.sh restart-postgres DIR # immediate stop, then start on the same port
#   scripts/services.sh stop-postgres DIR
#   scripts/services.sh start-replica DIR PRIMARY_DIR  # prints: export WATCHSTORE_TEST_POSTGRES_REPLICA_URL=...
#   scripts/services.sh stop-replica DIR
#   scripts/services.sh start-redis DIR      # prints: export WATCHSTORE_TEST_REDIS_URL=...
#   scripts/services.sh restart-redis DIR
#   scripts/services.sh stop-redis DIR
#
# Run as root (PostgreSQL then runs as the postgres user) or as any other user.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start_existing() {
  local dir=$1 port
  port=$(cat "$dir/port")
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null
}

start_postgres() {
  local dir=$1 port
  mkdir -p "$dir/sock"
  # The postgres user must reach DIR: open DIR and its parent (a mktemp -d
  # folder is 0700).
  chmod 755 "$dir" "$(dirname "$dir")"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  port=$(free_port)
  echo "$port" > "$dir/port"
  echo "watchstore-test" > "$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/port" "$dir/pwfile"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U watchstore --pwfile="$dir/pwfile" \
    -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$dir/data/postgresql.conf" <<CONF
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
unix_socket_permissions = 0700
CONF
  pg_start_existing "$dir"
  as_pg env PGPASSWORD=watchstore-test "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U watchstore watchstore
  echo "export WATCHSTORE_TEST_POSTGRES_URL=postgres://watchstore:watchstore-test@127.0.0.1:$port/watchstore"
  echo "export WATCHSTORE_TEST_POSTGRES_DIR=$dir"
}

# A streaming replica of the throwaway primary in PRIMARY_DIR (started by
# start-postgres: PostgreSQL 15's defaults have wal_level=replica, and
# initdb's pg_hba.conf admits replication from 127.0.0.1), on a free port.
start_replica() {
  local dir=$1 primary=$2 port primary_port
  [ -f "$primary/port" ] || { echo "start-replica: no primary in $primary" >&2; exit 2; }
  primary_port=$(cat "$primary/port")
  mkdir -p "$dir/sock"
  chmod 755 "$dir" "$(dirname "$dir")"
  port=$(free_port)
  echo "$port" > "$dir/port"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  # -R writes primary_conninfo (password included) and standby.signal.
  # -c fast: checkpoint now rather than spread over checkpoint_timeout.
  as_pg env PGPASSWORD=watchstore-test "$PG_BIN/pg_basebackup" -D "$dir/data" -R -X stream -c fast \
    -h 127.0.0.1 -p "$primary_port" -U watchstore >/dev/null
  pg_start_existing "$dir"
  echo "export WATCHSTORE_TEST_POSTGRES_REPLICA_URL=postgres://watchstore:watchstore-test@127.0.0.1:$port/watchstore"
  echo "export WATCHSTORE_TEST_POSTGRES_REPLICA_DIR=$dir"
}

stop_postgres() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

start_redis() {
  local dir=$1 port
  mkdir -p "$dir"
  port=$(free_port)
  echo "$port" > "$dir/port"
  redis_start_existing "$dir"
  echo "export WATCHSTORE_TEST_REDIS_URL=redis://127.0.0.1:$port/0"
  echo "export WATCHSTORE_TEST_REDIS_DIR=$dir"
}

redis_start_existing() {
  local dir=$1 port
  port=$(cat "$dir/port")
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log"
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "redis did not start; see $dir/redis.log" >&2
  return 1
}

stop_redis() {
  local dir=$1 port
  [ -f "$dir/port" ] || return 0
  port=$(cat "$dir/port")
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 || return 0
    sleep 0.05
  done
}

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: $0 start-postgres|restart-postgres|stop-postgres|start-replica|stop-replica|start-redis|restart-redis|stop-redis DIR" >&2; exit 2; }
case "$cmd" in
  start-postgres) start_postgres "$dir" ;;
  restart-postgres) stop_postgres "$dir"; pg_start_existing "$dir" ;;
  stop-postgres) stop_postgres "$dir" ;;
  start-replica) start_replica "$dir" "${3:?usage: $0 start-replica DIR PRIMARY_DIR}" ;;
  stop-replica) stop_postgres "$dir" ;;
  start-redis) start_redis "$dir" ;;
  restart-redis) stop_redis "$dir"; redis_start_existing "$dir" ;;
  stop-redis) stop_redis "$dir" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
