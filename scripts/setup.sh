#!/usr/bin/env bash
# Installs everything the build, the run and the tests need (Debian 12, as root).
# Idempotent: packages already present are left alone; a second run does nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")

apt_packages=(
  build-essential cmake pkg-config git ca-certificates curl clang clang-format
  libabsl-dev libpq-dev libhiredis-dev rapidjson-dev libcpp-httplib-dev
  libsodium-dev libsqlite3-dev libbenchmark-dev libgtest-dev libgmock-dev
  postgresql-15 postgresql-client-15 redis-server redis-tools
  chromium wrk shellcheck docker-compose
  docker.io debootstrap stunnel4 openssl
  libcurl4-openssl-dev python3-aiosmtpd
)

missing=()
# Node.js: Debian's nodejs+npm, unless a Node.js with npm is already there
# (some images ship one whose package conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1; then apt_packages+=(nodejs npm); fi
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # postgresql's package starts a cluster on 5432 by default; tests never use it.
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm tools for browser tests and offline deployment checks (tools/package.json).
if [ -f "$top/tools/package.json" ]; then
  if [ ! -d "$top/tools/node_modules" ] || [ "$top/tools/package.json" -nt "$top/tools/node_modules/.installed" ]; then
    echo "setup: npm install in tools/"
    (cd "$top/tools" && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
  fi
fi
echo "setup: ok"
