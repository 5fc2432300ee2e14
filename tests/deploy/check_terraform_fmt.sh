#!/usr/bin/env bash
# Every Terraform file under terraform/ is formatted (hclfmt -require-no-change,
# the same canonical layout as `terraform fmt -check`).
# Usage: tests/deploy/check_terraform_fmt.sh [REPO_ROOT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
# shellcheck source=tests/deploy/lib.sh
. "$here/lib.sh"

hclfmt=$(ensure_hclfmt)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t files < <(find "$root/terraform" -name .terraform -prune -o -type f \
  \( -name '*.tf' -o -name '*.tf.example' -o -name '*.tfvars' -o -name '*.tfvars.example' \) -print | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "fmt: no Terraform files under $root/terraform" >&2
  exit 1
fi

bad=0
for f in "${files[@]}"; do
  rel=${f#"$root"/}
  if ! timeout 20 "$hclfmt" -require-no-change "$f" >"$tmp/formatted" 2>"$tmp/err"; then
    bad=$((bad + 1))
    echo "fmt: $rel is not canonically formatted (fix: terraform fmt, or $hclfmt -w $rel)" >&2
    if [ -s "$tmp/formatted" ]; then
      diff -u "$f" "$tmp/formatted" | head -n 40 >&2 || true
    else
      cat "$tmp/err" >&2
    fi
  fi
done
if [ "$bad" -ne 0 ]; then
  echo "fmt: $bad of ${#files[@]} files need formatting" >&2
  exit 1
fi
echo "fmt: ${#files[@]} files formatted"
