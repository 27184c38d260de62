#!/usr/bin/env bash
# make demo: craftctl's whole job with no AWS account.
#
# Starts the project's AWS simulator (EC2 + STS, every request checked with
# botocore) whose instances are real sshd processes on loopback, and a
# private Docker engine if none is running (bridge off, host network only,
# per docs/contributing.md). Then runs the real commands on
# examples/demo.yaml: plan, up, status, a fetch of the URL, destroy.
# Stops everything it started and removes what it created, also on Ctrl-C
# or when a step fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$PWD
bin=$top/build/craftctl
config=$top/examples/demo.yaml

bold=$'\033[1m'; reset=$'\033[0m'
if [ ! -t 1 ] || [ -n "${NO_COLOR:-}" ]; then bold=; reset=; fi

demo_start=$(date +%s)
phase_start=$demo_start
phase() {
  local now
  now=$(date +%s)
  [ "$now" -eq "$demo_start" ] || printf '(%ss)\n' "$((now - phase_start))"
  printf '\n%s[demo %3ss] %s%s\n' "$bold" "$((now - demo_start))" "$*" "$reset"
  phase_start=$now
}
die() { printf '%sdemo: %s%s\n' "$bold" "$*" "$reset" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  cat >&2 <<MSG
demo: this needs root: it starts sshd for the simulated instances (they accept
logins for root on port 2222 of 127.0.0.x) and a private Docker engine.
Run it as root, for example: sudo make demo
MSG
  exit 1
fi

# shellcheck source=tests/lib/sandbox.sh
. tests/lib/sandbox.sh
stack=$(sed -n 's/^stack: *\([a-z0-9-]*\).*/\1/p' "$config")

SIM_PID=
DOCKERD_PID=
tmp=
docker_host=
shared_engine=
created_busybox=
have_lock=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  sandbox_stop_pid "$SIM_PID"
  # An engine that was running before the demo is left as it was found;
  # a private one goes with everything in it.
  [ -z "$shared_engine" ] || sandbox_compose_purge "$docker_host" "$stack"
  [ -z "$tmp" ] || sandbox_dockerd_stop "$tmp" "$DOCKERD_PID"
  # the data volume's mount (a bind of the simulator's stand-in directory)
  if [ -n "$tmp" ]; then
    { grep -o " $tmp/data/[^ ]*" /proc/mounts 2>/dev/null || true; } | while read -r m; do
      umount "$m" 2>/dev/null || true
    done
  fi
  [ -z "$tmp" ] || rm -rf "$tmp"
  [ -z "$created_busybox" ] || rm -f "$top/examples/demo/web/busybox"
  [ -z "$have_lock" ] || rm -rf "$lockdir"
  if [ "$rc" -eq 0 ]; then
    printf '\n%sdemo: done in %ss; everything it started is stopped%s\n' "$bold" \
      "$(($(date +%s) - demo_start))" "$reset"
  else
    printf '\n%sdemo: FAILED (exit %s) after %ss; everything it started is stopped%s\n' \
      "$bold" "$rc" "$(($(date +%s) - demo_start))" "$reset" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The demo's ports are fixed (examples/demo.yaml: sshd on 2222, the web
# service on 8080, on the simulated instance's 127.0.x.y addresses), so one
# demo runs at a time on a machine: a second one waits for the first. The
# lock is a directory holding its owner's pid (no file descriptor for the
# demo's services to inherit); a dead owner's lock is taken over.
lockdir=/run/lock/craftctl-demo
[ -d /run/lock ] && [ -w /run/lock ] || lockdir=/tmp/craftctl-demo.lock
waited=0
until mkdir "$lockdir" 2>/dev/null; do
  holder=$(cat "$lockdir/pid" 2>/dev/null)
  if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
    rm -rf "$lockdir"
    continue
  fi
  [ "$waited" -gt 0 ] ||
    echo "demo: another make demo (pid ${holder:-?}) is running on this machine; waiting for it" >&2
  waited=$((waited + 1))
  [ "$waited" -lt 600 ] || die "another make demo has held $lockdir for 10 minutes"
  sleep 1
done
have_lock=1
echo $$ >"$lockdir/pid"
# The demo's time starts once it has the machine to itself.
demo_start=$(date +%s)
phase_start=$demo_start
for port in 2222 8080; do
  if ! /usr/bin/python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.1.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
    die "port $port on 127.0.1.1 is in use, and examples/demo.yaml needs it: $(ss -Hltnp "sport = :$port" 2>/dev/null | head -1)"
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-demo.XXXXXX")
chmod 0700 "$tmp"

phase "1/7 starting the AWS simulator (EC2 + STS, instances with a real sshd)"
access_key=AKIADEMO$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')
secret_key=$(od -An -N30 -tx1 /dev/urandom | tr -d ' \n')
sandbox_sim_start "$tmp" --access-key "$access_key" --secret-key "$secret_key" \
  --boot-seconds 3 --ssh-instances --ssh-port 2222 || die "the simulator did not start"
sim_url=$SIM_URL
echo "simulator at $sim_url (log: the last lines are shown if a step fails)"

phase "2/7 finding a Docker engine"
if docker info >/dev/null 2>&1; then
  echo "using the running Docker engine (the demo's containers, volume and image are removed at the end)"
  docker_host=${DOCKER_HOST:-}
  shared_engine=1
else
  echo "none running: starting a private one (no bridge, no iptables, host network only)"
  sandbox_dockerd_start "$tmp" || die "the private Docker engine did not start"
  docker_host=$DOCKERD_HOST
fi

# The demo's stack is built FROM scratch around Debian's busybox-static,
# copied into its build context for this run only (it is gitignored).
busybox_copy=$top/examples/demo/web/busybox
if [ ! -e "$busybox_copy" ]; then
  cp /bin/busybox "$busybox_copy" || die "busybox-static is missing (make deps installs it)"
  created_busybox=1
fi

export AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_REGION=us-east-2 AWS_ENDPOINT_URL=$sim_url AWS_EC2_METADATA_DISABLED=true
export CRAFTCTL_CHECKIP_URL=$sim_url/_awssim/checkip
export XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config
# The instance is this machine: its releases go under the demo's folder, not /opt.
export CRAFTCTL_REMOTE_ROOT=$tmp/remote
export CRAFTCTL_REMOTE_DATA_ROOT=$tmp/data
[ -n "$docker_host" ] && export CRAFTCTL_REMOTE_DOCKER_HOST=$docker_host
unset AWS_PROFILE AWS_SESSION_TOKEN

run() {
  echo "\$ craftctl $*" >&2
  local rc=0
  "$bin" "$@" || rc=$?
  [ "$rc" -ne 130 ] || exit 130
  if [ "$rc" -ne 0 ]; then
    echo "--- simulator log (last 20 lines)" >&2
    tail -20 "$tmp/sim.log" >&2
    die "'craftctl $*' failed (exit $rc)"
  fi
}

phase "3/7 craftctl plan: what would be created"
run -c "$config" plan

phase "4/7 craftctl up: provision the network and instance, then deploy over SSH"
run -c "$config" up --yes --json > "$tmp/up.json"
url=$(sed -n 's/.*"event":"result".*"url":"\([^"]*\)".*/\1/p' "$tmp/up.json" | tail -1)
[ -n "$url" ] || die "craftctl up printed no URL"

phase "5/7 craftctl status"
run -c "$config" status

phase "6/7 fetching $url"
curl -fsS --max-time 10 "$url" | sed -n '1,20p' || die "the URL did not answer"
echo
curl -fsS --max-time 10 "${url%/}/api/health" || die "the health check did not answer"
echo

phase "7/7 craftctl destroy: remove everything the stack owns"
run -c "$config" destroy --yes
left=$(curl -fsS "$sim_url/_awssim/state" | /usr/bin/python3 -c '
import json, sys
state = json.load(sys.stdin)
def walk(x):
    if isinstance(x, dict):
        tags = x.get("tags") or x.get("Tags") or {}
        if isinstance(tags, list):
            tags = {t.get("Key"): t.get("Value") for t in tags if isinstance(t, dict)}
        state_name = (x.get("state") or x.get("State") or "")
        if isinstance(state_name, dict): state_name = state_name.get("Name", "")
        # gone: terminated, or a volume AWS is still deleting; kept on
        # purpose: the final snapshot of the data volume (destroy names it)
        gone = state_name in ("terminated", "deleting", "deleted")
        final = isinstance(tags, dict) and tags.get("craftctl:resource") == "final-snapshot"
        if isinstance(tags, dict) and "craftctl:stack" in tags and not gone and not final:
            yield x
        for v in x.values(): yield from walk(v)
    elif isinstance(x, list):
        for v in x: yield from walk(v)
print(len(list(walk(state))))')
[ "$left" = "0" ] || die "$left resource(s) tagged with the stack are still in the simulator"
echo "the simulator holds nothing tagged with the stack"
