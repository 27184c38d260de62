#!/usr/bin/env bash
# make demo as a newcomer runs it: it must pass, print the URL and the page's
# answer, and leave no process and nothing in the simulator behind; and when
# interrupted half-way it must still stop everything it started.
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# The processes a demo run started: they all inherit its environment, and
# so the mark (other suites may run beside this one; they are not counted).
census() {
  local mark=$1 n=0 p
  for p in /proc/[0-9]*; do
    if { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qx "CRAFTCTL_DEMO_MARK=$mark"; then
      n=$((n + 1))
      [ -z "${2:-}" ] || echo "    $({ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null)"
    fi
  done
  [ -n "${2:-}" ] || echo "$n"
}

mark=run-$$-$RANDOM
start=$(date +%s)
CRAFTCTL_DEMO_MARK=$mark NO_COLOR=1 scripts/demo.sh > "$tmp/out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
if [ "$rc" -eq 0 ]; then ok "make demo passes (${secs}s)"; else bad "make demo exit $rc; output:"; sed 's/^/    /' "$tmp/out"; fi
if [ "$secs" -lt 180 ]; then ok "it finishes in under 3 minutes"; else bad "it took ${secs}s"; fi
for step in "craftctl -c .*examples/demo.yaml plan" "craftctl -c .*examples/demo.yaml up --yes" \
  "craftctl -c .*examples/demo.yaml status" "craftctl -c .*examples/demo.yaml destroy --yes"; do
  if grep -qE -- "^\\\$ $step" "$tmp/out"; then ok "it runs: ${step#*yaml }"; else bad "no '$step' in the output"; fi
done
if grep -qE '^\[demo +[0-9]+s\] 6/7 fetching http://127\.[0-9.]+:8080/' "$tmp/out"; then ok "it prints the URL"; else bad "no URL printed"; fi
if grep -q 'id="release"' "$tmp/out" && grep -q '"status":"ok"' "$tmp/out"; then
  ok "it shows the page's answer and the health check"
else
  bad "the page's answer is not in the output"
fi
if grep -qE '^  release +[0-9]{8}T[0-9]{6}Z' "$tmp/out" && grep -qE '^  health +200 ok' "$tmp/out"; then
  ok "status shows the release served and its health"
else
  bad "status shows no release or health"
fi
if grep -q 'the simulator holds nothing tagged with the stack' "$tmp/out"; then ok "nothing is left in the simulator"; else bad "the simulator was not checked empty"; fi
sleep 1
left=$(census "$mark")
if [ "$left" -eq 0 ]; then ok "no process left running"; else bad "$left processes left running:"; census "$mark" show; fi
if [ -z "$(find /tmp -maxdepth 1 -name 'craftctl-demo.*' -newer "$tmp/out" 2>/dev/null)" ] &&
  [ ! -e examples/demo/web/busybox ]; then
  ok "its temporary files are removed"
else
  bad "temporary files are left behind"
fi

# Interrupted during `up`: everything it started still stops.
mark=int-$$-$RANDOM
CRAFTCTL_DEMO_MARK=$mark NO_COLOR=1 setsid scripts/demo.sh > "$tmp/int" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q '4/7 craftctl up' "$tmp/int" && break; sleep 0.1; done
sleep 2
kill -INT -- "-$pid" 2>/dev/null
wait "$pid"
rc=$?
sleep 1
left=$(census "$mark")
if [ "$rc" -ne 0 ] && grep -q 'demo: FAILED' "$tmp/int"; then ok "Ctrl-C during up: it says it failed (exit $rc)"; else bad "Ctrl-C: exit $rc"; tail -5 "$tmp/int"; fi
if [ "$left" -eq 0 ]; then ok "Ctrl-C during up: no process left running"; else bad "Ctrl-C left $left processes:"; census "$mark" show; fi
if [ ! -e examples/demo/web/busybox ]; then ok "Ctrl-C during up: the build context is clean again"; else bad "Ctrl-C left examples/demo/web/busybox"; fi

echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
