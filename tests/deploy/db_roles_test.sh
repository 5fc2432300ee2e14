#!/usr/bin/env bash
# deploy/db-roles.sql against a real PostgreSQL 15 (throwaway, loopback, free
# port), with an administrator that is not a superuser (CREATEROLE, owner of
# the database: what RDS's master user is):
#   fresh database:  db-roles, then `migrate` as the migrator role, the server
#                    as the app role: seed, checkout;
#   legacy database: migrated as the administrator first (how stacks before
#                    this change ran), then db-roles hands the tables to the
#                    migrator and the app role works;
#   both: the app role cannot create, drop or alter tables (no CREATE on the
#   schema: the server checks the schema version read-only, and refuses an
#   unmigrated database before `migrate`); db-roles runs twice
#   unchanged (idempotent), and a second run applies a changed password.
# Usage: tests/deploy/db_roles_test.sh [REPO_ROOT] WATCHSTORE_SERVER
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
server=${2:?usage: db_roles_test.sh REPO_ROOT WATCHSTORE_SERVER}
[ -x "$server" ] || { echo "db_roles: $server is not executable" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  [ -n "${http_pid:-}" ] && kill "$http_pid" 2>/dev/null
  bash "$root/scripts/services.sh" stop-postgres "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "db_roles: FAILED: $*" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

eval "$(bash "$root/scripts/services.sh" start-postgres "$work/pg")"
port=$(printf '%s' "$WATCHSTORE_TEST_POSTGRES_URL" | sed -E 's#.*@127\.0\.0\.1:([0-9]+)/.*#\1#')
super_psql() { PGPASSWORD=watchstore-test psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U watchstore "$@"; }
super_psql -d watchstore -c "CREATE ROLE ws_admin LOGIN CREATEROLE CREATEDB PASSWORD 'admin-pw'"
url() { printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable' "$1" "$2" "$port" "$3"; }

db_roles() { # database app_password
  PGPASSWORD=admin-pw WATCHSTORE_APP_PASSWORD="$2" WATCHSTORE_MIGRATOR_PASSWORD=migrator-pw \
    psql -X -q -h 127.0.0.1 -p "$port" -U ws_admin -d "$1" -v ON_ERROR_STOP=1 \
    -v db_name="$1" -v app_role=ws_test_app -v migrator_role=ws_test_migrator \
    -f "$root/deploy/db-roles.sql"
}

check_app_is_limited() { # database
  local out
  for sql in "DROP TABLE users" "ALTER TABLE products ADD COLUMN probe int" "TRUNCATE orders" "CREATE INDEX probe_idx ON users (email)"; do
    if out=$(PGPASSWORD=app-pw psql -X -q -h 127.0.0.1 -p "$port" -U ws_test_app -d "$1" -v ON_ERROR_STOP=1 -c "$sql" 2>&1); then
      fail "$1: the app role may run '$sql'"
    fi
    case "$out" in *"must be owner"*|*"permission denied"*) ;; *) fail "$1: '$sql' failed for another reason: $out" ;; esac
  done
  [ "$(PGPASSWORD=app-pw psql -X -qtA -h 127.0.0.1 -p "$port" -U ws_test_app -d "$1" -c "SELECT count(*) > 0 FROM products")" = t ] ||
    fail "$1: the app role cannot read products"
  [ "$(PGPASSWORD=app-pw psql -X -qtA -h 127.0.0.1 -p "$port" -U ws_test_app -d "$1" \
      -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'ws_test_migrator'")" = 0 ] ||
    fail "$1: a table is not owned by the migrator role"
  [ "$(PGPASSWORD=app-pw psql -X -qtA -h 127.0.0.1 -p "$port" -U ws_test_app -d "$1" \
      -c "SELECT has_schema_privilege('public', 'CREATE')")" = f ] ||
    fail "$1: the app role has CREATE on schema public"
  if out=$(PGPASSWORD=app-pw psql -X -q -h 127.0.0.1 -p "$port" -U ws_test_app -d "$1" -v ON_ERROR_STOP=1 \
      -c "CREATE TABLE probe_table (id int)" 2>&1); then
    fail "$1: the app role may create a table"
  fi
  case "$out" in *"permission denied"*) ;; *) fail "$1: CREATE TABLE failed for another reason: $out" ;; esac
  echo "$1: tables owned by the migrator; the app role reads and writes rows, cannot drop, alter, truncate or index them, nor create tables"
}

checkout_as_app() { # database
  local http_port order
  http_port=$(free_port)
  WATCHSTORE_LISTEN="127.0.0.1:$http_port" WATCHSTORE_DATABASE_URL="$(url ws_test_app app-pw "$1")" \
    WATCHSTORE_STATIC_DIR="$root/frontend" "$server" serve >"$work/server-$1.log" 2>&1 &
  http_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$http_port/readyz" 2>/dev/null && break
    sleep 0.1
  done
  order=$(python3 "$here/store_client.py" "http://127.0.0.1:$http_port" checkout "buyer-$1@example.com" "correct horse battery staple") ||
    { cat "$work/server-$1.log" >&2; fail "$1: checkout as the app role"; }
  kill "$http_pid"
  wait "$http_pid" 2>/dev/null || true
  http_pid=""
  echo "$1: the server as the app role: order $order"
}

# --- fresh database: roles first, the migrator creates the schema -------------------
super_psql -d watchstore -c "CREATE DATABASE fresh OWNER ws_admin"
db_roles fresh app-pw
# Before `migrate`, the server (as the app role, which has no CREATE) refuses
# clearly and creates nothing.
if out=$(WATCHSTORE_LISTEN="127.0.0.1:$(free_port)" WATCHSTORE_DATABASE_URL="$(url ws_test_app app-pw fresh)" \
    WATCHSTORE_STATIC_DIR="$root/frontend" timeout 30 "$server" serve 2>&1); then
  fail "fresh: the server started on an unmigrated database"
fi
case "$out" in *"database not migrated: run \`watchstore-server migrate\`"*) ;;
  *) fail "fresh: the server failed on an unmigrated database for another reason: $out" ;; esac
[ "$(super_psql -d fresh -qtA -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] ||
  fail "fresh: the refused server created a table"
echo "fresh: before migrate the server refuses: database not migrated"
WATCHSTORE_DATABASE_URL="$(url ws_test_migrator migrator-pw fresh)" "$server" migrate
WATCHSTORE_DATABASE_URL="$(url ws_test_app app-pw fresh)" "$server" seed-demo
checkout_as_app fresh
check_app_is_limited fresh

# --- legacy database: migrated as the administrator, then handed over ----------------
super_psql -d watchstore -c "CREATE DATABASE legacy OWNER ws_admin"
WATCHSTORE_DATABASE_URL="$(url ws_admin admin-pw legacy)" "$server" migrate
WATCHSTORE_DATABASE_URL="$(url ws_admin admin-pw legacy)" "$server" seed-demo
db_roles legacy app-pw
WATCHSTORE_DATABASE_URL="$(url ws_test_migrator migrator-pw legacy)" "$server" migrate
checkout_as_app legacy
check_app_is_limited legacy

# --- passwords only from the environment -------------------------------------------------
if PGPASSWORD=admin-pw psql -X -q -h 127.0.0.1 -p "$port" -U ws_admin -d fresh -v ON_ERROR_STOP=1 \
    -v db_name=fresh -v app_role=ws_test_app -v migrator_role=ws_test_migrator \
    -f "$root/deploy/db-roles.sql" >/dev/null 2>&1; then
  fail "db-roles.sql ran without the passwords in the environment"
fi
echo "db-roles: refuses to run without WATCHSTORE_APP_PASSWORD / WATCHSTORE_MIGRATOR_PASSWORD"

# --- idempotent; a changed password takes effect; an old CREATE grant is revoked ------------
# (earlier versions of db-roles.sql granted the app role CREATE on the schema)
super_psql -d fresh -c "GRANT CREATE ON SCHEMA public TO ws_test_app"
db_roles fresh app-pw
[ "$(PGPASSWORD=app-pw psql -X -qtA -h 127.0.0.1 -p "$port" -U ws_test_app -d fresh \
    -c "SELECT has_schema_privilege('public', 'CREATE')")" = f ] ||
  fail "db-roles did not revoke the app role's CREATE on schema public"
echo "db-roles: revokes the CREATE on the schema that earlier versions granted the app role"
db_roles fresh app-pw-2
if PGPASSWORD=app-pw psql -X -q -h 127.0.0.1 -p "$port" -U ws_test_app -d fresh -c "SELECT 1" >/dev/null 2>&1; then
  fail "the old app password still works after db-roles with a new one"
fi
PGPASSWORD=app-pw-2 psql -X -q -h 127.0.0.1 -p "$port" -U ws_test_app -d fresh -c "SELECT 1" >/dev/null ||
  fail "the new app password does not work"
echo "db-roles: idempotent; a new password from the secret takes effect at the next run"
echo "db_roles: all passed"
