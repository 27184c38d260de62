#!/usr/bin/env bash
# make bench: cold provision, no-op provision and destroy against the
# simulator with --latency-ms 200 --boot-seconds 3 (AWS-like round trips),
# each with its wall time, its API calls, and the critical-path lower bound:
# the longest chain of calls that must follow one another, times the
# latency, plus the time AWS itself takes (boot, termination).
#   cold:    discovery round -> CreateVpc -> CreateSubnet -> RunInstances
#            -> (boot) -> DescribeInstances (running) -> DescribeVolumes (the
#            data volume free) -> AttachVolume -> (attach) -> DescribeVolumes
#            (attached); the address's chain (AssociateAddress) is shorter
#   no-op:   discovery round -> attribute round (VPC DNS, root volume)
#   destroy: discovery round -> TerminateInstances -> (termination)
#            -> DescribeInstances (terminated) -> DescribeVolumes (detached)
#            -> DescribeVolumes -> DescribeSnapshots (a final one already?)
#            -> CreateSnapshot -> (the snapshot completes) -> DescribeSnapshots
#            -> DeleteVolume; the network's chain (DetachInternetGateway ->
#            DeleteInternetGateway -> DeleteVpc) is shorter
# (An AWS-side wait starts when its call lands, so it overlaps that call's
# answer: the attach, the snapshot and the termination each count once.)
# Targets: cold <= 1.25x bound, no-op within 4 calls' latency,
# destroy <= 1.25x bound. Exits non-zero when a target is missed.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
bin=$top/${CRAFTCTL:-build/craftctl}
latency=${BENCH_LATENCY_MS:-200}
boot=${BENCH_BOOT_SECONDS:-3}
term=${BENCH_TERMINATE_SECONDS:-2}
vol=${BENCH_VOLUME_SECONDS:-1}
snap=${BENCH_SNAPSHOT_SECONDS:-3}
tmp=$(mktemp -d /tmp/craft-bench-XXXXXX)
sim_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export HOME=$tmp/home XDG_STATE_HOME=$tmp/state
unset XDG_CONFIG_HOME AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2 GITHUB_ACTIONS
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$tmp/none AWS_SHARED_CREDENTIALS_FILE=$tmp/none
mkdir -p "$HOME"

tests/awssim/awssim --port 0 --port-file "$tmp/port" --access-key "$AWS_ACCESS_KEY_ID" \
  --secret-key "$AWS_SECRET_ACCESS_KEY" --latency-ms "$latency" --boot-seconds "$boot" \
  --terminate-seconds "$term" --volume-seconds "$vol" --snapshot-seconds "$snap" --seed 5 >"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do
  [ -s "$tmp/port" ] && break
  sleep 0.05
done
ep="http://127.0.0.1:$(cat "$tmp/port")"
export CRAFTCTL_CHECKIP_URL="$ep/_awssim/checkip"
cat >"$tmp/craftctl.yaml" <<EOF
stack: bench
region: us-east-2
EOF

ncalls() { /usr/bin/python3 "$top/tests/engine/simcheck.py" "$ep" ncalls; }
calls_since() { # SINCE -> "total mutating"
  curl -s "$ep/_awssim/calls" | /usr/bin/python3 -c "
import json, sys
c = json.load(sys.stdin)[int(sys.argv[1]):]
m = [x for x in c if not x['action'].startswith(('Describe', 'Get', 'List'))]
print(len(c), len(m))" "$1"
}

status=0
run() { # NAME BOUND_S TARGET_S ARGS...
  local name=$1 bound=$2 target=$3
  shift 3
  local mark start end wall calls
  mark=$(ncalls)
  start=$(date +%s.%N)
  if ! "$bin" --endpoint-url "$ep" -c "$tmp/craftctl.yaml" "$@" >"$tmp/$name.log" 2>&1; then
    echo "bench: $name failed:"
    cat "$tmp/$name.log"
    status=1
    return
  fi
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  read -r total mutating <<<"$(calls_since "$mark")"
  calls="$total calls ($mutating changing)"
  local verdict
  verdict=$(awk -v w="$wall" -v t="$target" 'BEGIN { print (w <= t) ? "ok" : "MISSED" }')
  [ "$verdict" = ok ] || status=1
  printf '%-16s wall %6.2fs  bound %5.2fs  ratio %4.2f  target <= %5.2fs %-6s  %s\n' \
    "$name" "$wall" "$bound" "$(awk -v w="$wall" -v b="$bound" 'BEGIN { printf "%.2f", w / b }')" \
    "$target" "$verdict" "$calls"
}

L=$(awk -v l="$latency" 'BEGIN { print l / 1000 }')
cold_bound=$(awk -v l="$L" -v b="$boot" -v v="$vol" 'BEGIN { printf "%.2f", 7 * l + b + v }')
noop_bound=$(awk -v l="$L" 'BEGIN { printf "%.2f", 2 * l }')
destroy_bound=$(awk -v l="$L" -v t="$term" -v s="$snap" 'BEGIN { printf "%.2f", 8 * l + t + s }')
echo "bench: latency ${latency} ms, boot ${boot} s, terminate ${term} s (simulator)"
run cold-provision "$cold_bound" "$(awk -v b="$cold_bound" 'BEGIN { printf "%.2f", 1.25 * b }')" provision
run noop-provision "$noop_bound" "$(awk -v l="$L" 'BEGIN { printf "%.2f", 4 * l }')" provision
run destroy "$destroy_bound" "$(awk -v b="$destroy_bound" 'BEGIN { printf "%.2f", 1.25 * b }')" destroy --yes
exit $status
