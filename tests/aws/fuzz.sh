#!/usr/bin/env bash
# A longer libFuzzer session for both harnesses, one per core, each for
# SECONDS; prints executions per harness. New inputs land in a temp corpus
# (copy interesting ones into tests/fuzz/<name>/corpus/ by hand).
# usage: tests/aws/fuzz.sh FUZZ_DIR SECONDS
set -u
cd "$(dirname "$0")/../.." || exit 1
dir=${1:-build/fuzz}
secs=${2:-300}
tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for f in xml profile sigv4; do
  mkdir -p "$tmp/corpus-$f"
  "$dir/$f" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$tmp/" \
    "$tmp/corpus-$f" "tests/fuzz/$f/corpus" >"$tmp/$f.log" 2>&1 &
  pids+=($!)
done
rc=0
i=0
for f in xml profile sigv4; do
  if ! wait "${pids[$i]}"; then
    rc=1
    echo "fuzz_$f: CRASH"
    tail -40 "$tmp/$f.log"
    ls "$tmp"/crash-* 2>/dev/null
  fi
  i=$((i + 1))
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$tmp/$f.log" | grep -oE '[0-9]+$')
  cov=$(grep -oE 'cov: [0-9]+' "$tmp/$f.log" | tail -1)
  echo "fuzz_$f: ${runs:-?} executions in ${secs} s (${cov:-cov: ?}, corpus $(find "$tmp/corpus-$f" -type f | wc -l) new inputs)"
done
exit "$rc"
