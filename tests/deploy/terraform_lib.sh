# shellcheck shell=bash
# Helpers for the Terraform checks (sourced): find the machine's AWS provider,
# copy terraform/ to a scratch directory and initialise it offline there.

# Prints the root of a local plugin directory holding hashicorp/aws (laid out
# as ROOT/registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/). Honours
# WATCHSTORE_TF_PLUGIN_DIR; else searches the file system like
#   find / -name 'terraform-provider-aws_*' -not -path '/proc/*'
tf_plugin_dir() {
  if [ -n "${WATCHSTORE_TF_PLUGIN_DIR:-}" ]; then
    printf '%s\n' "$WATCHSTORE_TF_PLUGIN_DIR"
    return 0
  fi
  local bin
  bin=$(find / \( -path /proc -o -path /sys -o -path /dev -o -path '*/node_modules' -o -path '*/.git' \) -prune -o \
    -type f -name 'terraform-provider-aws_*' -path '*/registry.terraform.io/hashicorp/aws/*' -print 2>/dev/null | sort | tail -n 1)
  if [ -z "$bin" ]; then
    return 1
  fi
  # .../ROOT/registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/terraform-provider-aws_*
  printf '%s\n' "$(cd "$(dirname "$bin")/../../../../.." && pwd)"
}

# tf_prepare ROOT SCRATCH: copies ROOT/terraform and ROOT/deploy into SCRATCH
# and runs `terraform init -backend=false -plugin-dir=...` in SCRATCH/terraform
# (without a local provider directory: from the registry, where one is reachable).
tf_prepare() {
  local root=$1 scratch=$2 plugins source_args=()
  if ! command -v terraform >/dev/null 2>&1; then
    echo "terraform: not on the PATH (Terraform >= 1.11 is required; see docs/DEPLOY.md)" >&2
    return 1
  fi
  if plugins=$(tf_plugin_dir); then
    source_args=(-plugin-dir="$plugins")
  else
    echo "terraform: no local hashicorp/aws provider directory (WATCHSTORE_TF_PLUGIN_DIR); trying the registry" >&2
  fi
  mkdir -p "$scratch"
  cp -r "$root/terraform" "$scratch/terraform"
  rm -rf "$scratch/terraform/.terraform"
  cp -r "$root/deploy" "$scratch/deploy"
  export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
  export TF_CLI_CONFIG_FILE="$scratch/terraformrc"
  : >"$TF_CLI_CONFIG_FILE"
  export TF_DATA_DIR="$scratch/terraform/.terraform"
  if ! (cd "$scratch/terraform" && timeout 300 terraform init -backend=false -input=false -no-color \
      "${source_args[@]}" >"$scratch/init.log" 2>&1); then
    cat "$scratch/init.log" >&2
    return 1
  fi
}
