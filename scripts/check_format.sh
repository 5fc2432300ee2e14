#!/usr/bin/env bash
# Fails if a C++ file tracked by git differs from what clang-format makes of
# it with the repository's .clang-format. Used by ctest (lint.clang_format).
#   scripts/check_format.sh          check
#   scripts/check_format.sh --fix    rewrite the files in place
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cpp')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/clang-format.$$"; then
  grep -E "^[^ ].*: (error|warning):" "${TMPDIR:-/tmp}/clang-format.$$" | cut -d: -f1 | sort | uniq -c
  rm -f "${TMPDIR:-/tmp}/clang-format.$$"
  echo "format check: files above differ from clang-format (run scripts/check_format.sh --fix)" >&2
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/clang-format.$$"
echo "format check: ${#files[@]} files ok"
