#!/usr/bin/env bash
# docker-compose.yml is valid for Debian's docker-compose 1.29 (no engine
# needed), with the committed example env file, and refuses to render when the
# secrets are missing. Structural policy: yaml_policy.py compose.
# Usage: tests/deploy/check_compose.sh [REPO_ROOT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "compose: docker-compose not found; install Debian's docker-compose (scripts/setup.sh)" >&2
  exit 1
fi
compose_file="$root/docker-compose.yml"
env_example="$root/deploy/compose.env.example"
for f in "$compose_file" "$env_example"; do
  [ -f "$f" ] || { echo "compose: $f is missing" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A clean environment: nothing from the caller's shell may fill a variable in.
run_compose() {
  env -i PATH="$PATH" HOME="$tmp" LANG=C.UTF-8 \
    timeout 30 docker-compose --project-directory "$root" "$@"
}

if ! run_compose --env-file "$env_example" -f "$compose_file" config -q 2>"$tmp/err"; then
  echo "compose: docker-compose config rejects docker-compose.yml with deploy/compose.env.example:" >&2
  cat "$tmp/err" >&2
  exit 1
fi
echo "compose: docker-compose.yml is valid with deploy/compose.env.example"

# Every secret must be required: with any one of them missing from the env
# file, the file must not render (\${VAR:?message}, never a default).
mapfile -t secrets < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*(PASSWORD|SECRET|TOKEN|KEY)[A-Za-z0-9_]*=' "$env_example" | cut -d= -f1 | sort -u)
if [ "${#secrets[@]}" -eq 0 ]; then
  echo "compose: deploy/compose.env.example defines no secrets (*PASSWORD*, *SECRET*, *TOKEN*, *KEY*)" >&2
  exit 1
fi
for var in "${secrets[@]}"; do
  grep -v -E "^$var=" "$env_example" >"$tmp/without.env"
  if run_compose --env-file "$tmp/without.env" -f "$compose_file" config -q 2>/dev/null; then
    echo "compose: docker-compose.yml renders without $var: make it required (\${$var:?set $var in .env})" >&2
    exit 1
  fi
done
echo "compose: refuses to render without any one of: ${secrets[*]}"
