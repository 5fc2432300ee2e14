# shellcheck shell=bash
# Helpers shared by the tests/deploy shell checks (sourced, not executed).

# Directory that caches tools built for the checks (hclfmt): the CMake build
# directory when run from ctest, else a per-user temp directory.
deploy_cache_dir() {
  local dir="${WATCHSTORE_DEPLOY_CACHE:-${TMPDIR:-/tmp}/watchstore-deploy-cache-$(id -u)}"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# Prints the path of an hclfmt binary, building it from Debian's
# golang-github-hashicorp-hcl-v2-dev sources (offline: GOPATH mode, no module
# proxy) the first time. Concurrent callers wait on a lock.
ensure_hclfmt() {
  local cache bin lock
  cache=$(deploy_cache_dir)
  bin="$cache/hclfmt"
  if [ -x "$bin" ]; then
    printf '%s\n' "$bin"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "hclfmt: 'go' not found; install golang-go and golang-github-hashicorp-hcl-v2-dev (scripts/setup.sh)" >&2
    return 1
  fi
  if [ ! -d /usr/share/gocode/src/github.com/hashicorp/hcl/v2/cmd/hclfmt ]; then
    echo "hclfmt: HCL sources missing; install golang-github-hashicorp-hcl-v2-dev (scripts/setup.sh)" >&2
    return 1
  fi
  lock="$cache/hclfmt.lock"
  (
    flock -w 120 9 || { echo "hclfmt: could not take $lock" >&2; exit 1; }
    if [ ! -x "$bin" ]; then
      echo "hclfmt: building $bin" >&2
      GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOPROXY=off \
        GOCACHE="$cache/gocache" HOME="${HOME:-$cache}" \
        timeout 110 go build -o "$bin.tmp" github.com/hashicorp/hcl/v2/cmd/hclfmt >&2
      mv -f "$bin.tmp" "$bin"
    fi
  ) 9>"$lock" || return 1
  printf '%s\n' "$bin"
}

# Path of the npm tools directory (tools/node_modules lives there).
deploy_tools_dir() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  printf '%s\n' "${WATCHSTORE_TOOLS_DIR:-$here/../../tools}"
}
