#!/usr/bin/env bash
# The app's test suite (make test-app): every sub-suite runs even when an
# earlier one fails; the closing line sums their "N passed, N failed" lines.
# Usage: tests/app/run.sh [sub-suite ...]   (default: all)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

all=(backend frontend compose e2e)
if [ $# -gt 0 ]; then suites=("$@"); else suites=("${all[@]}"); fi

passed=0
failed=0
broken=()
for suite in "${suites[@]}"; do
  printf '\n--> app/%s\n' "$suite"
  start=$(date +%s)
  out=$(mktemp)
  "$here/$suite.sh" 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
  rm -f "$out"
  p=0 f=0
  if [ -n "$line" ]; then
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed}
  fi
  # A suite that dies without a count, or fails with a zero count, counts one failure.
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$status" -eq 0 ] || broken+=("$suite")
  printf -- '--> app/%s: %s passed, %s failed in %ss\n' "$suite" "$p" "$f" "$(($(date +%s) - start))"
done
echo
[ ${#broken[@]} -eq 0 ] || echo "app: failed sub-suites: ${broken[*]}"
echo "$passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ]
