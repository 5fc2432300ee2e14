#!/usr/bin/env bash
# The AWS stack checked by Terraform itself, offline: `terraform fmt -check`,
# `terraform init` against the machine's AWS provider (verified against the
# committed .terraform.lock.hcl), `terraform validate`, and `terraform test`
# (terraform/tests/*.tftest.hcl: plan-mode assertions against a mocked AWS
# provider, no credentials). Works on a scratch copy; the tree is not touched.
# Usage: tests/deploy/terraform_test.sh [REPO_ROOT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
# shellcheck source=tests/deploy/terraform_lib.sh
. "$here/terraform_lib.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# No user CLI configuration (it could point at mirrors or credentials).
: >"$scratch/terraformrc"
export TF_CLI_CONFIG_FILE="$scratch/terraformrc"
# The first line only; not through `head`, whose early exit can kill
# `terraform version` with SIGPIPE (a failure under pipefail).
version=$(terraform version)
echo "${version%%$'\n'*}"
echo "== terraform fmt -check -recursive"
(cd "$root/terraform" && terraform fmt -check -recursive -diff -no-color)

echo "== terraform init -backend=false -plugin-dir=$(tf_plugin_dir || echo '(none: registry)')"
# -lockfile=readonly: the provider found here must match the committed hashes.
TF_CLI_ARGS_init="-lockfile=readonly" tf_prepare "$root" "$scratch"
sed -n '/Installing\|Installed\|Reusing\|initialized/p' "$scratch/init.log"

cd "$scratch/terraform"
echo "== terraform validate"
timeout 300 terraform validate -no-color

echo "== terraform test"
timeout 900 terraform test -no-color | tee "$scratch/test.log"
summary=$(grep -E '^(Success|Failure)!' "$scratch/test.log" | tail -n 1)
echo "terraform test: $summary"
