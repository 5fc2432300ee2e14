# shellcheck shell=bash
# Helpers shared by the tests/deploy shell checks (sourced, not executed).

# Directory that caches what the checks make once and reuse (the debootstrap
# root file system and the private dockerd's data): the CMake build directory
# when run from ctest, else a per-user temp directory.
deploy_cache_dir() {
  local dir="${WATCHSTORE_DEPLOY_CACHE:-${TMPDIR:-/tmp}/watchstore-deploy-cache-$(id -u)}"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# Path of the npm tools directory (tools/node_modules lives there).
deploy_tools_dir() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  printf '%s\n' "${WATCHSTORE_TOOLS_DIR:-$here/../../tools}"
}
