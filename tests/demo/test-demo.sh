#!/usr/bin/env bash
# make demo as a newcomer runs it: it must pass, print the URL and the page's
# answer, and leave no process, no file and nothing in the simulator behind;
# and when interrupted half-way (Ctrl-C) while deploying into a Docker engine
# that was already running, it must still stop everything it started and
# leave that engine as it found it.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/sandbox.sh
. tests/lib/sandbox.sh
pass=0
fail=0
tmp=$(mktemp -d)
DOCKERD_PID=
holder=
cleanup() {
  sandbox_stop_pid "$holder" 10
  sandbox_dockerd_stop "$tmp/engine" "$DOCKERD_PID"
  rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
stack=$(sed -n 's/^stack: *\([a-z0-9-]*\).*/\1/p' examples/demo.yaml)

# The processes a demo run started: they all inherit its environment, and
# so the mark (other suites may run beside this one; they are not counted).
census() {
  local mark=$1
  if [ -z "${2:-}" ]; then
    grep -lzx -- "CRAFTCTL_DEMO_MARK=$mark" /proc/[0-9]*/environ 2>/dev/null | wc -l
    return
  fi
  grep -lzx -- "CRAFTCTL_DEMO_MARK=$mark" /proc/[0-9]*/environ 2>/dev/null | while IFS= read -r f; do
    echo "    $({ tr '\0' ' ' < "${f%/environ}/cmdline"; } 2>/dev/null)"
  done
}
# gone MARK: waits up to 20 s for the marked processes to be gone (a process
# the demo stopped may take a moment to be reaped on a busy machine).
gone() {
  for _ in $(seq 100); do [ "$(census "$1")" -eq 0 ] && return 0; sleep 0.2; done
  return 1
}

# As a non-root user it says exactly what it needs, and starts nothing.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env -u TMPDIR scripts/demo.sh 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^demo: this needs root: it starts sshd' <<<"$out" &&
  grep -q 'sudo make demo' <<<"$out" && ! grep -q '^\[demo' <<<"$out"; then
  ok "as a non-root user it exits 1 saying it needs root and why, before starting anything"
else
  bad "as nobody: exit $rc: $out"
fi

lockdir=/run/lock/craftctl-demo
[ -d /run/lock ] && [ -w /run/lock ] || lockdir=/tmp/craftctl-demo.lock

# A port the demo needs, taken by something else: it says which, before
# starting anything, and gives the lock back.
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.1.1", 8080))
s.listen()
open(sys.argv[1], "w").close()
time.sleep(120)' "$tmp/taken" 2>/dev/null &
squatter=$!
for _ in $(seq 100); do [ -e "$tmp/taken" ] && break; sleep 0.1; done
mkdir -p "$tmp/t"
out=$(NO_COLOR=1 TMPDIR=$tmp/t scripts/demo.sh 2>&1)
rc=$?
sandbox_stop_pid "$squatter" 10
if [ ! -e "$tmp/taken" ]; then
  # Another demo on this machine has it (the lock made this run wait for it).
  echo "skip with port 8080 taken: 127.0.1.1:8080 was not free to take"
elif [ "$rc" -eq 1 ] && grep -q '^demo: port 8080 on 127.0.1.1 is in use' <<<"$out" &&
  ! grep -q '^\[demo' <<<"$out" && [ -z "$(ls -A "$tmp/t")" ] &&
  { [ ! -e "$lockdir" ] || kill -0 "$(cat "$lockdir/pid" 2>/dev/null)" 2>/dev/null; }; then
  ok "with port 8080 taken it exits 1 naming the port, before starting anything, and frees the lock"
else
  bad "with port 8080 taken: exit $rc: $out"
fi

# One demo at a time: the lock is held by a live process (standing in for
# another demo), so the demo waits and says so; when that process dies, its
# lock is stale and the demo takes it over. (When a real demo runs beside
# this test, the lock is theirs and is not touched.)
if mkdir "$lockdir" 2>/dev/null; then
  sleep 600 &
  holder=$!
  echo "$holder" > "$lockdir/pid"
fi

# Its own TMPDIR: whatever the demo leaves there is a leak.
mkdir -p "$tmp/t"
mark=run-$$-$RANDOM
start=$(date +%s)
CRAFTCTL_DEMO_MARK=$mark NO_COLOR=1 TMPDIR=$tmp/t scripts/demo.sh > "$tmp/out" 2>&1 &
demo=$!
if [ -n "$holder" ]; then
  for _ in $(seq 150); do grep -q 'waiting for it' "$tmp/out" && break; sleep 0.2; done
  sleep 1
  if grep -q "^demo: another make demo (pid $holder) is running on this machine; waiting for it" "$tmp/out" &&
    ! grep -q '^\[demo' "$tmp/out"; then
    ok "while another demo holds the lock, it waits, naming that demo's pid"
  else
    bad "with the lock held by pid $holder: $(cat "$tmp/out")"
  fi
  sandbox_stop_pid "$holder" 10
fi
wait "$demo"
rc=$?
secs=$(($(date +%s) - start))
if [ "$rc" -eq 0 ]; then ok "make demo passes (${secs}s)"; else bad "make demo exit $rc; output:"; sed 's/^/    /' "$tmp/out"; fi
# Its own figure: the time it waited for another demo's lock is not its own.
took=$(sed -n 's/^demo: done in \([0-9]*\)s;.*/\1/p' "$tmp/out")
if [ -n "$took" ] && [ "$took" -lt 180 ]; then
  ok "it finishes in under 3 minutes (${took}s) and says so"
else
  bad "it took ${took:-?}s (${secs}s with any wait for the lock)"
fi
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
if grep -q 'none running: starting a private one' "$tmp/out"; then
  ok "with no Docker engine running, it starts a private one"
elif [ -n "${DOCKER_HOST:-}" ] || docker info > /dev/null 2>&1; then
  ok "a Docker engine runs here: the demo used it (the private one is tested below)"
else
  bad "it did not say which Docker engine it used"
fi
if gone "$mark"; then ok "no process left running"; else bad "$(census "$mark") processes left running:"; census "$mark" show; fi
if [ -z "$(ls -A "$tmp/t")" ] && [ ! -e examples/demo/web/busybox ]; then
  ok "its temporary files are removed"
else
  bad "files left behind: $(ls -A "$tmp/t") $(ls examples/demo/web/busybox 2>/dev/null)"
fi
if [ -n "$holder" ]; then
  if [ ! -e "$lockdir" ] || [ "$(cat "$lockdir/pid" 2>/dev/null)" != "$holder" ]; then
    ok "it took over the lock once its holder had died, and gave it back"
  else
    bad "the stale lock $lockdir is still there"
  fi
fi

# Ctrl-C during up, once the stack runs: everything the demo started stops,
# its files go, exit 130. interrupt ENGINE: with ENGINE "private" the
# demo starts its own dockerd (the newcomer's case: it gets the SIGINT
# too); else ENGINE is the socket of an engine that was running before the
# demo, which must be left as it was (nothing of the demo's project, still
# up). Job control gives the demo its own process group and the terminal's
# SIGINT disposition (a background job of a script would ignore SIGINT).
interrupt() {
  local engine=$1 what mark pid rc deployed='' left
  what="Ctrl-C ($engine engine)"
  [ "$engine" = private ] || what="Ctrl-C (running engine)"
  mark=int-$$-$RANDOM
  set -m
  if [ "$engine" = private ]; then
    CRAFTCTL_DEMO_MARK=$mark NO_COLOR=1 TMPDIR=$tmp/t env -u DOCKER_HOST scripts/demo.sh > "$tmp/int" 2>&1 &
  else
    CRAFTCTL_DEMO_MARK=$mark NO_COLOR=1 TMPDIR=$tmp/t DOCKER_HOST=$engine scripts/demo.sh > "$tmp/int" 2>&1 &
  fi
  pid=$!
  set +m
  # The private engine's case is about stopping what the demo started: it
  # is interrupted as soon as up runs. With a running engine, once the
  # stack runs in it, so that there is something to remove.
  for _ in $(seq 600); do
    if [ "$engine" = private ]; then
      grep -q '4/7 craftctl up' "$tmp/int" && sleep 1 && deployed=1 && break
    elif [ -n "$(DOCKER_HOST=$engine docker ps -q --filter "label=com.docker.compose.project=$stack" 2> /dev/null)" ]; then
      deployed=1
      break
    fi
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.2
  done
  kill -INT -- "-$pid" 2> /dev/null
  wait "$pid"
  rc=$?
  if [ -n "$deployed" ] && grep -q 'starting a private one' "$tmp/int"; then
    ok "$what: interrupted during up, with the demo's own dockerd running"
  elif [ -n "$deployed" ] && [ "$engine" != private ]; then
    ok "$what: interrupted once the stack ran in it"
  else
    bad "$what: it never got that far:"$'\n'"$(tail -20 "$tmp/int")"
  fi
  if [ "$rc" -eq 130 ] && grep -q 'demo: FAILED (exit 130)' "$tmp/int"; then
    ok "$what: it says it was interrupted (exit 130)"
  else
    bad "$what: exit $rc"; tail -5 "$tmp/int"
  fi
  if gone "$mark"; then ok "$what: no process left running"; else bad "$what left $(census "$mark") processes:"; census "$mark" show; fi
  if [ "$engine" != private ]; then
    left=$(sandbox_compose_left "$engine" "$stack")
    if grep -q 'using the running Docker engine' "$tmp/int" && [ -z "$left" ] &&
      DOCKER_HOST=$engine docker info > /dev/null 2>&1; then
      ok "$what: it used that engine and left it as found (nothing of '$stack', still up)"
    else
      bad "$what: the engine holds: ${left:-(nothing, but it no longer answers)}"
    fi
  fi
  if [ -z "$(ls -A "$tmp/t")" ] && [ ! -e examples/demo/web/busybox ]; then
    ok "$what: no temporary file left, the build context is clean again"
  else
    bad "$what left: $(ls -A "$tmp/t") $(ls examples/demo/web/busybox 2>/dev/null)"
  fi
}

if [ -z "${DOCKER_HOST:-}" ] && ! docker info > /dev/null 2>&1; then
  interrupt private
fi
mkdir -p "$tmp/engine"
if sandbox_dockerd_start "$tmp/engine" 2> "$tmp/engine.err"; then
  interrupt "$DOCKERD_HOST"
else
  bad "Ctrl-C: the test's own Docker engine did not start: $(cat "$tmp/engine.err")"
fi

# The sandbox's stops are used by scripts under `set -euo pipefail` (the
# demo, make demo-host): stopping what is already gone must not end them.
if out=$(bash -c 'set -euo pipefail; . tests/lib/sandbox.sh
  sleep 30 & p=$!; kill -9 "$p"; wait "$p" 2>/dev/null || true
  sandbox_stop_pid "$p"; sandbox_dockerd_stop "$1/none" "$p"
  sandbox_compose_purge "unix://$1/none.sock" nothing; echo survived' _ "$tmp" 2>&1) &&
  [ "$out" = survived ]; then
  ok "sandbox: stopping what is already gone is not an error under set -e"
else
  bad "sandbox: a stop of a finished process ended a set -e script: $out"
fi

echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
