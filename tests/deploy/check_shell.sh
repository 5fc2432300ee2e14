#!/usr/bin/env bash
# ShellCheck must pass on every *.sh under scripts/, tests/ and deploy/, .ci/run,
# the EC2 user data (terraform/templates/*.sh.tftpl, rendered, plus the helper
# scripts it installs) and the bash `run:` steps of .github/workflows/*.yml.
# Usage: tests/deploy/check_shell.sh [REPO_ROOT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "shellcheck: not found; install Debian's shellcheck (scripts/setup.sh)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=()
for dir in scripts tests deploy; do
  [ -d "$root/$dir" ] || continue
  while IFS= read -r -d '' f; do
    files+=("$f")
  done < <(find "$root/$dir" \( -name node_modules -o -name .git \) -prune -o -type f -name '*.sh' -print0 | sort -z)
done
if [ -f "$root/.ci/run" ]; then
  files+=("$root/.ci/run")
fi
while IFS= read -r -d '' tpl; do
  while IFS= read -r rendered; do
    files+=("$rendered")
  done < <(python3 "$here/render_tftpl.py" "$tpl" "$tmp/$(basename "$(dirname "$tpl")")")
done < <(find "$root/terraform" -name .terraform -prune -o -type f -name '*.sh.tftpl' -print0 2>/dev/null | sort -z)

# The bash `run:` steps of the GitHub Actions workflows.
while IFS= read -r script; do
  files+=("$script")
done < <(python3 "$here/workflow_scripts.py" "$root/.github/workflows" "$tmp/workflows")

if [ "${#files[@]}" -eq 0 ]; then
  echo "shellcheck: no shell scripts found under $root" >&2
  exit 1
fi

# -x follows `source` directives relative to each script (shellcheck
# source=... comments); run from the repository root so those paths resolve.
cd "$root"
if timeout 50 shellcheck --external-sources --source-path=SCRIPTDIR "${files[@]}"; then
  echo "shellcheck: ${#files[@]} scripts clean"
else
  echo "shellcheck: findings above (${#files[@]} scripts checked)" >&2
  exit 1
fi
