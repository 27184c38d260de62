#!/usr/bin/env bash
# craftctl against an EC2 that behaves as other implementations do: a
# console that never shows the SSH host keys, key fingerprints in MD5
# colon-hex, an action that always fails, a delete that is acknowledged but
# not done. What must hold: read-only commands answer at once, one retry
# budget per call, everything that exists after a failure is reported, and
# destroy checks its work. The sequence is provision, status, provision,
# plan, destroy, destroy, as a user would run it.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/sandbox.sh
bin=$PWD/${CRAFTCTL:-build/craftctl}
check="/usr/bin/python3 $PWD/tests/engine/simcheck.py"
tmp=$(mktemp -d /tmp/craft-other-ec2-XXXXXX)
trap 'sandbox_stop_pid "$SIM_PID"; rm -rf "$tmp"' EXIT
check_private_env "$tmp"

sandbox_sim_start "$tmp" --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
  --boot-seconds 1 --terminate-seconds 1 --latency-ms 2 || {
  bad "the simulator did not start"
  check_summary other-ec2
  exit 1
}
ep=$SIM_URL
export CRAFTCTL_CHECKIP_URL=$ep/_awssim/checkip
faults() { curl -s -X POST -d "$1" "$ep/_awssim/faults" >/dev/null; }
calls_of() { # ACTION SINCE: how many calls of ACTION after the first SINCE
  curl -s "$ep/_awssim/calls" | /usr/bin/python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin)[int(sys.argv[2]):] if c["action"] == sys.argv[1]))' "$1" "$2"
}
cc() { local s=$1; shift; "$bin" --endpoint-url "$ep" -c "$tmp/$s.yaml" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
for s in omega sigma tau; do
  printf 'stack: %s\nregion: us-east-2\ntags: { team: platform }\n' "$s" >"$tmp/$s.yaml"
done

faults '{"console_keys": false, "key_fingerprint": "md5", "script": [{"action": "CreateRouteTable",
  "code": "InternalError", "status": 500, "count": 100000}]}'

# ---- one action always fails: one retry budget, every resource reported
mark=$($check "$ep" ncalls)
t0=$(now)
out=$(cc omega provision 2>&1)
rc=$?
t1=$(now)
n=$(calls_of CreateRouteTable "$mark")
if [ $rc -eq 1 ] && [ "$n" -eq 5 ] &&
  grep -qE "^craftctl: create route_table public: CreateRouteTable, 5 attempts over [0-9.]+ s: InternalError" <<<"$out"; then
  ok "an action that always answers 500: sent $n times (the client's 5 attempts, no engine rounds on top), failed in $(secs "$t0" "$t1") s naming the action, the attempts and the error"
else
  bad "always-failing action: exit $rc, $n calls in $(secs "$t0" "$t1") s: $out"
fi
if grep -qE "^warning: provision stopped: [0-9]+ of the stack's [0-9]+ resources exist" <<<"$out"; then
  ok "the failed run's summary counts what exists"
else
  bad "no summary of what exists after the failure: $out"
fi
# A refusal (no retry) while other calls are in flight and the instance
# still boots: what those calls made is reported all the same.
faults '{"console_keys": false, "key_fingerprint": "md5", "script": [{"action": "AssociateRouteTable",
  "code": "InvalidParameterValue", "status": 400, "count": 100000}]}'
out=$(cc sigma provision 2>&1)
rc=$?
missing=""
for id in $($check "$ep" ids sigma); do
  grep -qE "^  created +[a-z_]+ +[a-z0-9-]+ +$id( |$)" <<<"$out" || missing="$missing $id"
done
exist=$($check "$ep" ids sigma | wc -l)
if [ $rc -eq 1 ] && [ -z "$missing" ] && [ "$exist" -ge 9 ] &&
  grep -qE "^  created +instance +server +i-[0-9a-f]+ .*remaining steps did not run" <<<"$out"; then
  ok "after a failure, all $exist resources that exist were reported as created (the booting instance too)"
else
  bad "unreported after the failure:$missing (of $exist), exit $rc: $out"
fi
out=$(cc tau provision --json 2>/dev/null)
missing=""
for id in $($check "$ep" ids tau); do
  /usr/bin/python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.startswith("{")]
sys.exit(0 if any(e.get("event") == "resource" and e.get("action") == "created"
                  and e.get("id") == sys.argv[1] for e in ev) else 1)' "$id" <<<"$out" || missing="$missing $id"
done
if [ -z "$missing" ] && [ "$($check "$ep" ids tau | wc -l)" -ge 9 ]; then
  ok "--json: a created event for every resource that exists after the failure"
else
  bad "--json: no created event for$missing: $out"
fi
faults '{"script": []}'

# ---- the run completes; status never waits for first contact
out=$(cc omega provision 2>&1) || bad "the second provision failed: $out"
mark=$($check "$ep" ncalls)
t0=$(now)
out=$(timeout 60 "$bin" --endpoint-url "$ep" -c "$tmp/omega.yaml" status 2>&1)
rc=$?
t1=$(now)
consoles=$(calls_of GetConsoleOutput "$mark")
lookups=$(calls_of DescribeInstances "$mark")
if [ $rc -eq 0 ] && [ "$consoles" -eq 0 ] && [ "$lookups" -eq 1 ] &&
  grep -qE "^  release +not deployed yet \(no host key pinned\)$" <<<"$out" &&
  awk -v s="$(secs "$t0" "$t1")" 'BEGIN { exit !(s < 2.0) }'; then
  ok "status on a running instance never deployed to (its console shows no keys): answered in $(secs "$t0" "$t1") s, no console read, one DescribeInstances"
else
  bad "status: exit $rc in $(secs "$t0" "$t1") s, $consoles console reads, $lookups DescribeInstances: $out"
fi
key=$HOME/.config/craftctl/omega/id_ed25519
mv "$key" "$key.away" && mv "$key.pub" "$key.pub.away"
t0=$(now)
out=$(timeout 60 "$bin" --endpoint-url "$ep" -c "$tmp/omega.yaml" logs 2>&1)
rc=$?
t1=$(now)
made=$([ -e "$key" ] && echo "a new key was generated")
mv "$key.away" "$key" && mv "$key.pub.away" "$key.pub"
if [ $rc -eq 1 ] && grep -q "is not deployed yet (no host key pinned): run 'craftctl deploy' first" <<<"$out" &&
  [ -z "$made" ] && awk -v s="$(secs "$t0" "$t1")" 'BEGIN { exit !(s < 2.0) }'; then
  ok "logs on an instance never deployed to: exit 1 in $(secs "$t0" "$t1") s, saying to deploy first, no key generated"
else
  bad "logs: exit $rc in $(secs "$t0" "$t1") s ${made:-}: $out"
fi

# deploy does make first contact: it waits for the keys, and a SIGTERM
# ends that wait at once (exit 130), as does its own bound
"$bin" --endpoint-url "$ep" -c "$tmp/omega.yaml" deploy >"$tmp/deploy.log" 2>&1 &
pid=$!
sleep 1.5
t0=$(now)
kill -TERM "$pid"
wait "$pid"
rc=$?
t1=$(now)
if [ $rc -eq 130 ] && grep -q "interrupted while waiting for the console of i-" "$tmp/deploy.log" &&
  awk -v s="$(secs "$t0" "$t1")" 'BEGIN { exit !(s < 1.0) }'; then
  ok "deploy waiting for a console without keys: SIGTERM ends it in $(secs "$t0" "$t1") s with exit 130"
else
  bad "deploy's console wait and SIGTERM: exit $rc after $(secs "$t0" "$t1") s: $(cat "$tmp/deploy.log")"
fi
out=$(timeout 60 "$bin" --endpoint-url "$ep" -c "$tmp/omega.yaml" deploy --connect-timeout 2 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "has not printed its SSH host keys on its console after 2s" <<<"$out"; then
  ok "deploy --connect-timeout 2 against a console without keys: exit 1 naming why"
else
  bad "deploy's bounded console wait: exit $rc: $out"
fi

# ---- MD5 fingerprints: the key is compared by itself, not replaced
mark=$($check "$ep" ncalls)
out=$(cc omega provision 2>&1)
rc=$?
m=$($check "$ep" mutations "$mark")
if [ $rc -eq 0 ] && [ -z "$m" ]; then
  ok "with MD5 key fingerprints, a re-run provision changes nothing (the public key itself is compared)"
else
  bad "MD5 fingerprints: exit $rc, mutations '$m': $out"
fi
out=$(cc omega plan 2>&1)
rc=$?
if [ $rc -eq 0 ] && ! grep -qE "^  (replace|update|create) " <<<"$out"; then
  ok "plan: no changes"
else
  bad "plan: exit $rc: $out"
fi

# ---- a delete acknowledged but not done: destroy says what is left
faults '{"script": [{"action": "DeleteKeyPair", "ignore": true, "count": 100000}]}'
kid=$($check "$ep" ids omega | grep '^key-')
out=$(CRAFTCTL_DESTROY_SETTLE_S=2 cc omega destroy --yes 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -qE "^craftctl: destroy is not complete: 1 resource tagged craftctl:stack=omega still exists .*key_pair main $kid" <<<"$out"; then
  ok "a DeleteKeyPair answered with success but not done: destroy exits 1 naming key_pair main $kid"
else
  bad "lying delete: exit $rc: $out"
fi
out=$(CRAFTCTL_DESTROY_SETTLE_S=2 cc omega destroy --yes 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "destroy is not complete" <<<"$out" && ! grep -q "destroy complete" <<<"$out"; then
  ok "a second destroy does not claim success either"
else
  bad "second destroy against the lying delete: exit $rc: $out"
fi
faults '{"script": []}'
out=$(cc omega destroy --yes 2>&1)
rc=$?
out2=$(cc omega destroy --yes 2>&1)
if [ $rc -eq 0 ] && [ "$($check "$ep" tagged omega)" = 0 ] && grep -q "nothing to destroy" <<<"$out2"; then
  ok "once deletes work again, destroy finishes and the next one is a no-op"
else
  bad "final destroy: exit $rc: $out / $out2"
fi
cc sigma destroy --yes >/dev/null 2>&1
cc tau destroy --yes >/dev/null 2>&1

check_summary other-ec2
