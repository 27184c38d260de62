#!/usr/bin/env bash
# Runs every test suite (make targets) even when one fails, then prints one
# closing line and exits non-zero if any suite failed.
set -u
# Tests talk only to loopback: no suite may reach for the real instance
# metadata service (169.254.169.254) by accident. A suite that tests IMDS
# points AWS_EC2_METADATA_SERVICE_ENDPOINT at its own loopback server and
# clears this itself.
export AWS_EC2_METADATA_DISABLED=${AWS_EC2_METADATA_DISABLED:-true}
make_cmd=$1
shift
passed=0
failed=0
failed_names=()
for suite in "$@"; do
  printf '\n==> %s\n' "$suite"
  start=$(date +%s)
  if "$make_cmd" --no-print-directory "$suite"; then
    passed=$((passed + 1))
    printf '==> %s passed in %ss\n' "$suite" "$(($(date +%s) - start))"
  else
    failed=$((failed + 1))
    failed_names+=("$suite")
    printf '==> %s FAILED in %ss\n' "$suite" "$(($(date +%s) - start))"
  fi
done
echo
[ "$failed" -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
