#!/usr/bin/env bash
# The provisioning engine against the AWS simulator (tests/awssim): broken
# stack files, cold provision, no-op re-runs with and without the state
# cache, plan, status, drift repair, replacement, the lock, two stacks side
# by side, destroy, convergence under throttling/faults/eventual
# consistency, and SIGKILL at seeded random moments.
# Every simulator runs on a free port and is stopped by its PID.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
bin=$top/${CRAFTCTL:-build/craftctl}
check="/usr/bin/python3 $top/tests/engine/simcheck.py"
kills=${ENGINE_KILLS:-20}
kill_seed0=${ENGINE_KILL_SEED:-0} # other seeds for stress runs
tmp=$(mktemp -d /tmp/craft-engine-XXXXXX)
pass=0
fail=0
sim_pid=""
bg_pid=""
ep=""

stop_sim() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
    sim_pid=""
  fi
}
cleanup() {
  if [ -n "$bg_pid" ]; then kill -9 "$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; fi
  stop_sim
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# A clean, private environment: no credentials or profiles of the machine.
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state
unset XDG_CONFIG_HOME AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
  AWS_ENDPOINT_URL_EC2 AWS_REGION AWS_DEFAULT_REGION GITHUB_ACTIONS
export AWS_ACCESS_KEY_ID=AKIDENGINETEST AWS_SECRET_ACCESS_KEY=engine-test-secret
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$tmp/none AWS_SHARED_CREDENTIALS_FILE=$tmp/none
export AWS_MAX_ATTEMPTS=8
mkdir -p "$HOME"

start_sim() {
  stop_sim
  rm -f "$tmp/port"
  tests/awssim/awssim --port 0 --port-file "$tmp/port" --access-key "$AWS_ACCESS_KEY_ID" \
    --secret-key "$AWS_SECRET_ACCESS_KEY" --boot-seconds 1 --terminate-seconds 1 "$@" \
    >>"$tmp/sim.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 400); do # 20 s at most, on a busy machine
    [ -s "$tmp/port" ] && break
    sleep 0.05
  done
  if [ ! -s "$tmp/port" ]; then
    bad "the simulator did not start: $(tail -5 "$tmp/sim.log")"
    echo "engine: $pass passed, $fail failed"
    exit 1
  fi
  ep="http://127.0.0.1:$(cat "$tmp/port")"
  export CRAFTCTL_CHECKIP_URL="$ep/_awssim/checkip"
}

stack_file() { # NAME CIDR [extra yaml]
  cat >"$tmp/$1.yaml" <<EOF
stack: $1
region: us-east-2
network:
  cidr: $2
  availability_zones: 2
tags: { team: platform }
${3:-}
EOF
}

cc() { # STACK ARGS...: craftctl on the stack's file against the simulator
  local s=$1
  shift
  "$bin" --endpoint-url "$ep" -c "$tmp/$s.yaml" "$@"
}

mutations_since() { $check "$ep" mutations "$1"; }
ncalls() { $check "$ep" ncalls; }
ec2() { "$bin" --endpoint-url "$ep" --region us-east-2 api ec2 "$@"; }

wait_instance() { # STACK STATE: until the stack's instance is in STATE (20 s at most)
  for _ in $(seq 100); do
    [ "$($check "$ep" instance "$1" State.Name)" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

# inplace STACK WHAT CALLS [key=value...]: provision repairs drift with
# exactly CALLS (sorted, unique, space-ended), the stack is the expected set,
# and a second provision changes nothing.
inplace() {
  local s=$1 what=$2 want=$3 mark out rc m r
  shift 3
  mark=$(ncalls)
  out=$(cc "$s" provision 2>&1)
  rc=$?
  m=$(mutations_since "$mark" | tr ' ' '\n' | LC_ALL=C sort -u | tr '\n' ' ')
  if [ $rc -eq 0 ] && [ "$m" = "$want" ] && r=$($check "$ep" expect "$s" "$@" 2>&1); then
    ok "provision updates in place: $what ($m)"
  else
    bad "in-place $what: exit $rc, calls '$m' want '$want': $out ${r:-}"
    return
  fi
  mark=$(ncalls)
  out=$(cc "$s" provision 2>&1)
  rc=$?
  m=$(mutations_since "$mark")
  if [ $rc -eq 0 ] && [ -z "$m" ] && grep -q "0 created, 0 updated, 0 replaced, 17 kept" <<<"$out"; then
    ok "after $what, a second provision is a no-op"
  else
    bad "after $what, second provision: exit $rc, mutations '$m': $out"
  fi
}

# ---- the stack-file parser under libFuzzer for a few seconds (no crash, leak or UB)
fuzz_bin=$(dirname "$bin")/fuzz/config
if [ -x "$fuzz_bin" ]; then
  mkdir -p "$tmp/corpus"
  if "$fuzz_bin" -max_total_time="${ENGINE_FUZZ_SECONDS:-15}" -max_len=2048 "$tmp/corpus" \
    tests/fuzz/config/corpus >"$tmp/fuzz.log" 2>&1; then
    ok "config fuzzer: $(grep -oE 'Done [0-9]+ runs' "$tmp/fuzz.log" | head -1), no crash"
  else
    bad "config fuzzer: $(tail -20 "$tmp/fuzz.log")"
  fi
else
  bad "config fuzzer not built ($fuzz_bin): make fuzz-config"
fi

start_sim --latency-ms 2

# ---- broken stack files: exit 2, file:line:column, no AWS call
before=$(ncalls)
nbroken=0
for f in tests/engine/broken/*.yaml; do
  nbroken=$((nbroken + 1))
  out=$("$bin" --endpoint-url "$ep" -c "$f" provision 2>&1)
  rc=$?
  if [ "$rc" -ne 2 ]; then
    bad "broken $f: exit $rc, want 2: $out"
  elif ! grep -qE "^craftctl: $f: line [0-9]+, column [0-9]+: " <<<"$out"; then
    bad "broken $f: message lacks file:line:column: $out"
  else
    ok "broken $(basename "$f") exits 2 naming file, line, column"
  fi
done
after=$(ncalls)
if [ "$before" = "$after" ] && [ "$nbroken" -ge 15 ]; then
  ok "$nbroken broken stack files made no AWS call"
else
  bad "broken stack files: calls $before -> $after ($nbroken files)"
fi

# ---- cold provision creates exactly the set
stack_file alpha 10.20.0.0/16
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "provision complete: 17 created" <<<"$out"; then
  ok "cold provision succeeds"
else
  bad "cold provision: exit $rc: $out"
fi
if r=$($check "$ep" expect alpha tag=team=platform 2>&1); then ok "cold provision: $r"; else bad "cold provision set: $r"; fi
if r=$($check "$ep" tagspecs "$mark" alpha 2>&1); then
  ok "every resource is tagged in its create call: $r"
else
  bad "tags in the create calls: $r"
fi

vpc_dns() { # STACK: the VPC's two DNS attributes, "true true " when on
  local v a
  v=$(ec2 DescribeVpcs Filter.1.Name=tag:craftctl:stack "Filter.1.Value.1=$1" | grep -oE 'vpc-[0-9a-f]+' | head -1)
  for a in enableDnsSupport enableDnsHostnames; do
    ec2 DescribeVpcAttribute VpcId="$v" Attribute="$a" | tr -d '\n' |
      grep -oE "<$a><value>[a-z]+</value>" | grep -oE 'true|false'
  done | tr '\n' ' '
}
if [ "$(vpc_dns alpha)" = "true true " ]; then
  ok "the VPC has DNS support and DNS hostnames on"
else
  bad "vpc dns attributes: '$(vpc_dns alpha)'"
fi
if grep -qE "^  ssh +ssh -i $HOME/.config/craftctl/alpha/id_ed25519 ubuntu@" <<<"$out" &&
  grep -qE "^  url +http://[0-9.]+/" <<<"$out"; then
  ok "provision prints the ssh command and url"
else
  bad "provision outputs: $out"
fi
key=$HOME/.config/craftctl/alpha/id_ed25519
if [ "$(stat -c %a "$key")" = 600 ] && ssh-keygen -y -f "$key" >/dev/null 2>&1; then
  ok "generated key is OpenSSH ed25519, mode 0600"
else
  bad "generated key $key"
fi
if [ "$(stat -c %a "$XDG_STATE_HOME/craftctl/alpha.json")" = 600 ]; then
  ok "state cache is mode 0600"
else
  bad "state cache mode"
fi

# ---- no-op: zero changing calls, with and without the cache
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 0 ] && [ -z "$m" ] && grep -q "0 created, 0 updated, 0 replaced, 17 kept" <<<"$out"; then
  ok "second provision makes zero changing calls"
else
  bad "second provision: mutations '$m': $out"
fi
rm -f "$XDG_STATE_HOME/craftctl/alpha.json"
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 0 ] && [ -z "$m" ] && [ -s "$XDG_STATE_HOME/craftctl/alpha.json" ]; then
  ok "provision without the state cache makes zero changing calls"
else
  bad "provision without cache: exit $rc, mutations '$m': $out"
fi

# ---- the engine's API for deploy: find the instance, pin its host key
api_bin=$(dirname "$bin")/tests/engine-instance-api
eip=$(curl -s "$ep/_awssim/state" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)["us-east-2"]["addresses"]
print([a["PublicIp"] for a in s if {"Key": "craftctl:stack", "Value": "alpha"} in (a.get("Tags") or [])][0])')
if out=$("$api_bin" "$tmp/alpha.yaml" "$ep" 2>&1) && grep -qx "address $eip" <<<"$out"; then
  ok "find_instance/pin_host_key: address is the elastic ip, key pinned in cache and tag"
else
  bad "instance api: $out (eip $eip)"
fi
tagkey=$($check "$ep" instance alpha Tags | grep -o "craftctl:host-key")
if [ "$tagkey" = "craftctl:host-key" ]; then ok "the pinned host key is a tag on the instance"; else bad "host key tag"; fi

# ---- GitHub Actions output: groups, annotations, step summary
out=$(GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY=$tmp/summary.md cc alpha provision 2>/dev/null)
if grep -q "^::group::provision" <<<"$out" && grep -q "^::endgroup::" <<<"$out" &&
  grep -q "^### craftctl provision: alpha" "$tmp/summary.md" && grep -q "| instance | \`i-" "$tmp/summary.md"; then
  ok "under GitHub Actions: ::group:: and a step summary with the outputs"
else
  bad "github output: $out / $(cat "$tmp/summary.md" 2>/dev/null)"
fi
out=$(GITHUB_ACTIONS=true "$bin" --endpoint-url "$ep" -c tests/engine/broken/08-bad-cidr.yaml plan 2>/dev/null)
if grep -qE "^::error title=craftctl plan::tests/engine/broken/08-bad-cidr.yaml: line 4, column 9" <<<"$out"; then
  ok "under GitHub Actions a stack file error is an ::error annotation"
else
  bad "github error annotation: $out"
fi

# ---- ssh_from: auto needs the caller's address; without it, a clear error
out=$(CRAFTCTL_CHECKIP_URL=http://127.0.0.1:9/ cc alpha plan 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "cannot find your public address at http://127.0.0.1:9/.*set access.ssh_from" <<<"$out"; then
  ok "an unreachable address lookup asks for access.ssh_from"
else
  bad "checkip failure: exit $rc: $out"
fi

# ---- plan and status on an unchanged stack
out=$(cc alpha plan 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "plan: no changes" <<<"$out" && ! grep -qE "^  (create|update|replace|delete) " <<<"$out"; then
  ok "plan on an unchanged stack reports no changes"
else
  bad "plan unchanged: $out"
fi
out=$(cc alpha --json plan 2>/dev/null)
if grep -q '"event":"result"' <<<"$out" && grep -q '"changes":"0"' <<<"$out" &&
  grep -q '"event":"resource","action":"keep","kind":"vpc","name":"main","id":"vpc-' <<<"$out"; then
  ok "plan --json: resource events and a result"
else
  bad "plan --json: $out"
fi
out=$(cc alpha status --json 2>/dev/null)
iid=$($check "$ep" instance alpha InstanceId)
if grep -q "\"instance_id\":\"$iid\"" <<<"$out" && grep -q '"drift":"0"' <<<"$out" &&
  grep -q '"action":"running","kind":"instance"' <<<"$out"; then
  ok "status --json: states, instance, no drift"
else
  bad "status: $out"
fi

# ---- drift: rules and a subnet changed behind craftctl's back are repaired
sg=$("$bin" --endpoint-url "$ep" --region us-east-2 api ec2 DescribeSecurityGroups \
  Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=alpha | grep -oE 'sg-[0-9a-f]+' | head -1)
"$bin" --endpoint-url "$ep" --region us-east-2 api ec2 RevokeSecurityGroupIngress GroupId="$sg" \
  IpPermissions.1.IpProtocol=tcp IpPermissions.1.FromPort=443 IpPermissions.1.ToPort=443 \
  IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0 >/dev/null
"$bin" --endpoint-url "$ep" --region us-east-2 api ec2 AuthorizeSecurityGroupIngress GroupId="$sg" \
  IpPermissions.1.IpProtocol=tcp IpPermissions.1.FromPort=5432 IpPermissions.1.ToPort=5432 \
  IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0 >/dev/null
sn=$("$bin" --endpoint-url "$ep" --region us-east-2 api ec2 DescribeSubnets \
  Filter.1.Name=tag:craftctl:resource Filter.1.Value.1=private-2 \
  Filter.2.Name=tag:craftctl:stack Filter.2.Value.1=alpha | grep -oE 'subnet-[0-9a-f]+' | head -1)
"$bin" --endpoint-url "$ep" --region us-east-2 api ec2 DeleteSubnet SubnetId="$sn" >/dev/null
out=$(cc alpha plan 2>&1)
if grep -qE "^  update +security_group +instance" <<<"$out" && grep -qE "^  create +subnet +private-2" <<<"$out"; then
  ok "plan shows drift: rules to update, deleted subnet to create"
else
  bad "plan drift: $out"
fi
out=$(cc alpha provision 2>&1)
rc=$?
if [ $rc -eq 0 ] && r=$($check "$ep" expect alpha 2>&1); then
  ok "provision repairs drift"
else
  bad "drift repair: $out $r"
fi

# ---- tags are changed in place (CreateTags), never by replacement
sed -i 's/^tags: { team: platform }/tags: { team: web }/' "$tmp/alpha.yaml"
out=$(cc alpha plan 2>&1)
nupd=$(grep -cE "^  update .*# tags" <<<"$out")
mark=$(ncalls)
cc alpha provision >/dev/null 2>&1
rc=$?
m=$(mutations_since "$mark" | tr ' ' '\n' | LC_ALL=C sort -u | tr '\n' ' ')
if [ "$nupd" -eq 12 ] && [ $rc -eq 0 ] && [ "$m" = "CreateTags " ] &&
  r=$($check "$ep" expect alpha tag=team=web 2>&1); then
  ok "a changed tag is an in-place update of all 12 tagged resources (CreateTags only)"
else
  bad "tag update: $nupd updates planned, exit $rc, calls '$m': ${r:-} $out"
fi
sed -i 's/^tags: { team: web }/tags: { team: platform }/' "$tmp/alpha.yaml"
cc alpha provision >/dev/null 2>&1

# ---- an instance terminated behind craftctl's back is launched again (new client token)
iid=$($check "$ep" instance alpha InstanceId)
"$bin" --endpoint-url "$ep" --region us-east-2 api ec2 TerminateInstances InstanceId.1="$iid" >/dev/null
sleep 1.3
out=$(cc alpha provision 2>&1)
rc=$?
new=$($check "$ep" instance alpha InstanceId)
if [ $rc -eq 0 ] && [ -n "$new" ] && [ "$new" != "$iid" ] && r=$($check "$ep" expect alpha 2>&1); then
  ok "a terminated instance is replaced by a new one with the elastic ip ($iid -> $new)"
else
  bad "terminated instance: exit $rc, $iid -> $new: $out ${r:-}"
fi

# ---- in-place updates: drift that AWS can undo without a replacement
# Each: drift through the API, plan says update, provision makes exactly the
# calls that undo it, the end state is the expected set, a re-run is a no-op.
iid=$($check "$ep" instance alpha InstanceId)
ec2 ModifyInstanceMetadataOptions InstanceId="$iid" HttpTokens=optional >/dev/null
out=$(cc alpha plan 2>&1)
if grep -qE "^  update +instance +server +$iid +# require IMDSv2$" <<<"$out" &&
  grep -q "plan: 0 to create, 1 to update, 0 to replace" <<<"$out"; then
  ok "plan: IMDSv2 made optional behind craftctl's back is an update"
else
  bad "plan imds drift: $out"
fi
inplace alpha "IMDSv2 required again" "ModifyInstanceMetadataOptions "

# the VPC's DNS hostnames and a public subnet's public addresses turned off
vpc=$(ec2 DescribeVpcs Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=alpha | grep -oE 'vpc-[0-9a-f]+' | head -1)
sn=$(ec2 DescribeSubnets Filter.1.Name=tag:craftctl:resource Filter.1.Value.1=public-1 \
  Filter.2.Name=tag:craftctl:stack Filter.2.Value.1=alpha | grep -oE 'subnet-[0-9a-f]+' | head -1)
ec2 ModifyVpcAttribute VpcId="$vpc" EnableDnsHostnames.Value=false >/dev/null
ec2 ModifySubnetAttribute SubnetId="$sn" MapPublicIpOnLaunch.Value=false >/dev/null
out=$(cc alpha plan 2>&1)
if grep -qE "^  update +vpc +main +$vpc +# dns support and hostnames$" <<<"$out" &&
  grep -qE "^  update +subnet +public-1 +$sn +# map public ip on$" <<<"$out"; then
  ok "plan: DNS hostnames and public addresses on launch turned off are updates"
else
  bad "plan attribute drift: $out"
fi
inplace alpha "DNS hostnames and public addresses on launch on again" \
  "ModifySubnetAttribute ModifyVpcAttribute "
if [ "$(vpc_dns alpha)" = "true true " ]; then
  ok "the VPC's DNS attributes are on again"
else
  bad "vpc dns attributes after repair: '$(vpc_dns alpha)'"
fi

# a stopping instance: provision waits for the stop, then starts it
ec2 StopInstances InstanceId.1="$iid" >/dev/null
inplace alpha "a stopping instance waited for and started" "StartInstances "
if [ "$($check "$ep" instance alpha InstanceId)" = "$iid" ]; then
  ok "the started instance is the same one ($iid)"
else
  bad "the stopped instance was not started but replaced"
fi

# a stopped instance whose gateway was deleted: a new gateway, the default
# route pointed at it (ReplaceRoute; the old one is a blackhole), the
# instance started, the elastic ip associated again
ec2 StopInstances InstanceId.1="$iid" >/dev/null
wait_instance alpha stopped || bad "the instance did not stop: $($check "$ep" instance alpha State)"
assoc=$(ec2 DescribeAddresses Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=alpha |
  grep -oE 'eipassoc-[0-9a-f]+' | head -1)
igw=$(ec2 DescribeInternetGateways Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=alpha |
  grep -oE 'igw-[0-9a-f]+' | head -1)
vpc=$(ec2 DescribeVpcs Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=alpha |
  grep -oE 'vpc-[0-9a-f]+' | head -1)
if ! { ec2 DisassociateAddress AssociationId="$assoc" >/dev/null &&
  ec2 DetachInternetGateway InternetGatewayId="$igw" VpcId="$vpc" >/dev/null &&
  ec2 DeleteInternetGateway InternetGatewayId="$igw" >/dev/null; }; then
  bad "cannot drift the gateway ($assoc $igw $vpc)"
fi
out=$(cc alpha status --json 2>/dev/null)
if grep -q '"drift":"4"' <<<"$out" && grep -q '"action":"stopped","kind":"instance"' <<<"$out"; then
  ok "status shows the stopped instance and 4 drifted resources"
else
  bad "status drift: $out"
fi
out=$(cc alpha plan 2>&1)
if grep -qE "^  create +internet_gateway +main" <<<"$out" &&
  grep -qE "^  update +route +public-default +$igw +# target $igw -> the stack's gateway$" <<<"$out" &&
  grep -qE "^  update +instance +server +$iid +# start \(it is stopped\)$" <<<"$out" &&
  grep -qE "^  create +eip_association +server" <<<"$out" &&
  grep -q "plan: 2 to create, 2 to update, 0 to replace, 0 to delete" <<<"$out"; then
  ok "plan: new gateway, route re-pointed, instance started, address re-associated"
else
  bad "plan stopped/gateway drift: $out"
fi
inplace alpha "a new gateway, the route replaced, the instance started" \
  "AssociateAddress AttachInternetGateway CreateInternetGateway ReplaceRoute StartInstances "
if [ "$($check "$ep" instance alpha InstanceId)" = "$iid" ]; then
  ok "the stopped instance was started, not replaced"
else
  bad "the stopped instance was replaced"
fi

# ---- a new instance type is applied in place: stop, modify, start
sed -i 's/^tags:/instance: { type: t3.large }\ntags:/' "$tmp/alpha.yaml"
out=$(cc alpha plan 2>&1)
if grep -qE "^  update +instance +server +i-[0-9a-f]+ .*type t3.medium -> t3.large in place" <<<"$out" &&
  grep -qE "^  keep +data_attachment" <<<"$out"; then
  ok "plan shows the type change as an in-place update"
else
  bad "plan type change: $out"
fi
before=$($check "$ep" instance alpha InstanceId)
vol_before=$($check "$ep" ids alpha | grep '^vol-')
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
m=$(mutations_since "$mark")
after=$($check "$ep" instance alpha InstanceId)
if [ $rc -eq 0 ] && [ "$before" = "$after" ] && [ "$m" = "StopInstances ModifyInstanceAttribute StartInstances" ] &&
  r=$($check "$ep" expect alpha type=t3.large 2>&1); then
  ok "the type changes in place: $m; same instance, data volume still attached"
else
  bad "type change: exit $rc, $before -> $after, calls '$m': $out ${r:-}"
fi
sed -i '/^instance: { type: t3.large }$/d' "$tmp/alpha.yaml"
cc alpha provision >/dev/null 2>&1

# ---- replacement only with --replace; the data volume moves to the new instance
sed -i 's/^tags:/instance: { image: ubuntu-22.04 }\ntags:/' "$tmp/alpha.yaml"
out=$(cc alpha plan 2>&1)
if grep -qE "^  replace +instance +server +i-[0-9a-f]+ .*image ubuntu-24.04 -> ubuntu-22.04" <<<"$out" &&
  grep -qE "^  create +data_attachment +data .*the data is kept" <<<"$out" &&
  grep -qE "^  keep +data_volume" <<<"$out"; then
  ok "plan shows the instance replacement, why, and that the data volume is kept"
else
  bad "plan replace: $out"
fi
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 2 ] && [ -z "$m" ] && grep -q -- "--replace" <<<"$out"; then
  ok "provision refuses a replacement without --replace (exit 2, no change)"
else
  bad "replace without flag: exit $rc, mutations '$m': $out"
fi
old_ip=$($check "$ep" instance alpha PublicIpAddress)
out=$(cc alpha provision --replace 2>&1)
rc=$?
new_ip=$($check "$ep" instance alpha PublicIpAddress)
vol_after=$($check "$ep" ids alpha | grep '^vol-')
if [ $rc -eq 0 ] && r=$($check "$ep" expect alpha image=22.04 2>&1) && [ "$old_ip" = "$new_ip" ] &&
  [ -n "$vol_before" ] && [ "$vol_before" = "$vol_after" ]; then
  ok "provision --replace replaces the instance; the elastic ip ($new_ip) and data volume ($vol_after) stay"
else
  bad "replace: exit $rc, ip $old_ip -> $new_ip, volume $vol_before -> $vol_after: $out ${r:-}"
fi
sed -i '/^instance: { image: ubuntu-22.04 }$/d' "$tmp/alpha.yaml"
cc alpha provision --replace >/dev/null 2>&1

# ---- SIGKILL during a replacement with a data volume: the re-run converges
# (one data volume, the same one, attached to the one live instance)
vol0=$($check "$ep" ids alpha | grep '^vol-')
conv=0
for k in 1 2 3 4; do
  if [ $((k % 2)) -eq 1 ]; then
    sed -i 's/^tags:/instance: { image: ubuntu-22.04 }\ntags:/' "$tmp/alpha.yaml"
    want=22.04
  else
    sed -i '/^instance: { image: ubuntu-22.04 }$/d' "$tmp/alpha.yaml"
    want=24.04
  fi
  "$bin" --endpoint-url "$ep" -c "$tmp/alpha.yaml" provision --replace >/dev/null 2>&1 &
  bg_pid=$!
  sleep "0.$((k * 2 + 1))"
  kill -9 "$bg_pid" 2>/dev/null
  wait "$bg_pid" 2>/dev/null
  bg_pid=""
  $check "$ep" settle >/dev/null 2>&1
  out=$(cc alpha provision --replace 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && r=$($check "$ep" expect alpha image=$want 2>&1) &&
    [ "$($check "$ep" ids alpha | grep '^vol-')" = "$vol0" ]; then
    conv=$((conv + 1))
  else
    echo "  kill $k: exit $rc: ${r:-} $(tail -3 <<<"$out")"
  fi
done
if [ "$conv" -eq 4 ]; then
  ok "replacement killed at 4 moments: each re-run converged with the same data volume on the one instance"
else
  bad "replacement under SIGKILL: $conv of 4 converged"
fi
sed -i '/^instance: { image: ubuntu-22.04 }$/d' "$tmp/alpha.yaml"
cc alpha provision --replace >/dev/null 2>&1

# ---- a new VPC block replaces everything inside the VPC (with --replace)
sed -i 's|^  cidr: 10.20.0.0/16|  cidr: 10.25.0.0/16|' "$tmp/alpha.yaml"
out=$(cc alpha plan 2>&1)
if grep -qE "^  replace +vpc +main .*cidr 10.20.0.0/16 -> 10.25.0.0/16" <<<"$out" &&
  grep -qE "^  replace +subnet +public-1 .*its vpc is replaced" <<<"$out" &&
  grep -qE "^  keep +elastic_ip" <<<"$out"; then
  ok "plan: a new VPC block replaces the VPC and what is inside; the elastic ip stays"
else
  bad "vpc replace plan: $out"
fi
out=$(cc alpha provision --replace 2>&1)
rc=$?
if [ $rc -eq 0 ] && r=$($check "$ep" expect alpha cidr=10.25.0.0/16 2>&1); then
  ok "provision --replace rebuilds the network in the new block: $r"
else
  bad "vpc replace: exit $rc: $out ${r:-}"
fi
sed -i 's|^  cidr: 10.25.0.0/16|  cidr: 10.20.0.0/16|' "$tmp/alpha.yaml"
cc alpha provision --replace >/dev/null 2>&1

# ---- a new SSH key replaces the key pair and the instance (with --replace)
ssh-keygen -q -t ed25519 -N "" -C other -f "$tmp/otherkey"
sed -i "s|^tags:|instance: { ssh_key: $tmp/otherkey }\ntags:|" "$tmp/alpha.yaml"
out=$(cc alpha plan 2>&1)
if grep -qE "^  replace +key_pair +main .*public key changed" <<<"$out" &&
  grep -qE "^  replace +instance +server .*key pair is replaced" <<<"$out"; then
  ok "plan: a changed ssh_key replaces the key pair and the instance"
else
  bad "key change plan: $out"
fi
want_fp=$(ssh-keygen -l -E sha256 -f "$tmp/otherkey.pub" | awk '{ print $2 }' | sed 's/^SHA256://')
before=$($check "$ep" instance alpha InstanceId)
out=$(cc alpha provision --replace 2>&1)
rc=$?
have_fp=$(curl -s "$ep/_awssim/state" | /usr/bin/python3 -c '
import json, sys
k = [k for k in json.load(sys.stdin)["us-east-2"]["key_pairs"]
     if {"Key": "craftctl:stack", "Value": "alpha"} in (k.get("Tags") or [])]
print(k[0]["KeyFingerprint"].rstrip("="))')
after=$($check "$ep" instance alpha InstanceId)
if [ $rc -eq 0 ] && [ "$want_fp" = "$have_fp" ] && [ "$before" != "$after" ] &&
  $check "$ep" expect alpha >/dev/null 2>&1; then
  ok "provision --replace imports the new key and relaunches the instance"
else
  bad "key change: exit $rc, fingerprint $have_fp want $want_fp: $out"
fi
sed -i '/^instance: { ssh_key: /d' "$tmp/alpha.yaml"
cc alpha provision --replace >/dev/null 2>&1

# ---- the lock: a second run exits 3 naming the holder
# (the second run starts once the first has written itself into the lock
# file, however slow the machine; each call of the first takes 600 ms)
curl -s -X POST -d '{"latency_ms": 600}' "$ep/_awssim/faults" >/dev/null
"$bin" --endpoint-url "$ep" -c "$tmp/alpha.yaml" provision >/dev/null 2>&1 &
bg_pid=$!
for _ in $(seq 200); do
  grep -qs "^pid $bg_pid, " "$XDG_STATE_HOME/craftctl/alpha.lock" && break
  sleep 0.05
done
out=$(cc alpha provision 2>&1)
rc=$?
wait "$bg_pid"
bg_rc=$?
holder=$bg_pid
bg_pid=""
curl -s -X POST -d '{"latency_ms": 2}' "$ep/_awssim/faults" >/dev/null
if [ $rc -eq 3 ] && grep -qE "locked by another run \(pid $holder, craftctl provision" <<<"$out" && [ $bg_rc -eq 0 ]; then
  ok "a second run exits 3 and names the holder"
else
  bad "lock: exit $rc (holder $bg_rc): $out"
fi

# ---- a bigger root volume of another type: ModifyVolume, not a new instance
# (it stays so: a smaller one would need --replace, and AWS allows one
# modification per volume in 6 hours)
iid=$($check "$ep" instance alpha InstanceId)
sed -i 's/^tags:/instance: { root_volume: { size_gb: 40, type: gp2 } }\ntags:/' "$tmp/alpha.yaml"
out=$(cc alpha plan 2>&1)
if grep -qE "^  update +instance +server +$iid +# root volume grows 30 -> 40 GiB; root volume type gp3 -> gp2$" <<<"$out"; then
  ok "plan: a bigger root volume of another type is an in-place update"
else
  bad "plan volume growth: $out"
fi
inplace alpha "the root volume grown and retyped" "ModifyVolume " size=40 voltype=gp2
if [ "$($check "$ep" instance alpha InstanceId)" = "$iid" ]; then
  ok "the volume was modified on the same instance ($iid)"
else
  bad "the volume change replaced the instance"
fi

# ---- a Graviton type with Ubuntu 22.04 in one zone, then a given ami- id
# (with the user's own key, and beside a VPC that looks like the stack's
# but lacks the stack tag: craftctl must neither adopt nor delete it)
cat >"$tmp/zeta.yaml" <<EOF
stack: zeta
region: us-east-2
network: { cidr: 10.70.0.0/16, availability_zones: 1 }
instance: { type: t4g.small, image: ubuntu-22.04, ssh_key: $tmp/otherkey }
access: { ssh_from: [198.51.100.7/32] }
deploy: { http_port: 8080 }
EOF
decoy=$(ec2 CreateVpc CidrBlock=10.70.0.0/16 TagSpecification.1.ResourceType=vpc \
  TagSpecification.1.Tag.1.Key=Name TagSpecification.1.Tag.1.Value=zeta-main \
  TagSpecification.1.Tag.2.Key=craftctl:resource TagSpecification.1.Tag.2.Value=main |
  grep -oE 'vpc-[0-9a-f]+' | head -1)
out=$(cc zeta provision 2>&1)
rc=$?
if [ $rc -eq 0 ] && r=$($check "$ep" expect zeta azs=1 type=t4g.small image=22.04 cidr=10.70.0.0/16 \
  ssh_cidr=198.51.100.7/32 http_port=8080 2>&1); then
  ok "t4g.small gets the newest arm64 Ubuntu 22.04 image, one zone, ssh from the given cidr, http on 8080: $r"
else
  bad "graviton stack: exit $rc: $out ${r:-}"
fi
ami=$(cd tests/awssim && /usr/bin/python3 -c '
from awssimlib import images
ims = [i for i in images.ubuntu_images("us-east-2")
       if "-22.04-" in i["Name"] and i["Architecture"] == "arm64"]
print(min(ims, key=lambda i: i["CreationDate"])["ImageId"])')
sed -i "s/image: ubuntu-22.04/image: $ami/" "$tmp/zeta.yaml"
out=$(cc zeta plan 2>&1)
if grep -qE "^  replace +instance +server +i-[0-9a-f]+ +# image ubuntu-22.04 -> $ami$" <<<"$out"; then
  ok "plan: an ami- id in place of ubuntu-22.04 replaces the instance"
else
  bad "plan ami: $out"
fi
out=$(cc zeta provision --replace 2>&1)
rc=$?
if [ $rc -eq 0 ] && r=$($check "$ep" expect zeta azs=1 type=t4g.small "ami=$ami" cidr=10.70.0.0/16 \
  ssh_cidr=198.51.100.7/32 http_port=8080 2>&1); then
  ok "an ami- id is used as given (the oldest 22.04 arm64 image, $ami)"
else
  bad "ami stack: exit $rc: $out ${r:-}"
fi
if cc zeta destroy --yes >/dev/null 2>&1 && [ "$($check "$ep" tagged zeta)" = 0 ]; then
  ok "the one-zone stack is destroyed"
else
  bad "zeta leftovers: $($check "$ep" tagged zeta)"
fi
if [ -n "$decoy" ] && ec2 DescribeVpcs VpcId.1="$decoy" | grep -q "<vpcId>$decoy</vpcId>" &&
  [ -s "$tmp/otherkey" ] && [ -s "$tmp/otherkey.pub" ]; then
  ok "destroy left the untagged look-alike VPC and the user's own key file alone"
else
  bad "destroy touched what it did not own (vpc '$decoy', $(ls "$tmp"/otherkey* 2>&1))"
fi
ec2 DeleteVpc VpcId="$decoy" >/dev/null

# ---- two stacks side by side
stack_file beta 10.30.0.0/16
if cc beta provision >/dev/null 2>&1 && $check "$ep" expect beta cidr=10.30.0.0/16 >/dev/null; then
  ok "a second stack provisions beside the first"
else
  bad "second stack provision"
fi
out=$(cc alpha destroy </dev/null 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q -- "--yes" <<<"$out" && [ "$($check "$ep" tagged alpha)" -gt 0 ]; then
  ok "destroy without a terminal or --yes refuses (exit 2)"
else
  bad "destroy without --yes: exit $rc: $out"
fi
# ---- the data volume: grows in place, never shrinks
sed -i 's/^instance: { root_volume: { size_gb: 40, type: gp2 } }$/instance: { root_volume: { size_gb: 40, type: gp2 }, data_volume: { size_gb: 40 } }/' "$tmp/alpha.yaml"
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 0 ] && [ "$m" = "ModifyVolume" ] && r=$($check "$ep" expect alpha size=40 voltype=gp2 data=40 2>&1); then
  ok "a bigger data volume grows in place (ModifyVolume only)"
else
  bad "data volume growth: exit $rc, calls '$m': $out ${r:-}"
fi
sed -i 's/data_volume: { size_gb: 40 }/data_volume: { size_gb: 20 }/' "$tmp/alpha.yaml"
mark=$(ncalls)
out=$(cc alpha provision 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 2 ] && [ -z "$m" ] && grep -q "cannot shrink" <<<"$out"; then
  ok "a smaller data volume is refused (exit 2, no change)"
else
  bad "data volume shrink: exit $rc, calls '$m': $out"
fi
sed -i 's/data_volume: { size_gb: 20 }/data_volume: { size_gb: 40 }/' "$tmp/alpha.yaml"

# on a terminal, destroy asks; anything but "yes" changes nothing
mark=$(ncalls)
out=$(printf 'no\n' | script -qec "$bin --endpoint-url $ep -c $tmp/alpha.yaml destroy" /dev/null 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 2 ] && [ -z "$m" ] && grep -q "destroy 12 resources of stack 'alpha'? type 'yes' to confirm" <<<"$out" &&
  grep -q "destroy cancelled" <<<"$out"; then
  ok "on a terminal destroy asks, and 'no' changes nothing (exit 2)"
else
  bad "destroy prompt: exit $rc, mutations '$m': $out"
fi
out=$(cc alpha destroy --yes 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$($check "$ep" tagged alpha)" = 0 ] && r=$($check "$ep" expect beta cidr=10.30.0.0/16 2>&1); then
  ok "destroying one stack leaves nothing of it and the other intact"
else
  bad "destroy alpha: exit $rc: $out $r"
fi
snaps=$($check "$ep" snapshots alpha)
if [ "$(wc -l <<<"$snaps")" = 1 ] && grep -q " final-snapshot$" <<<"$snaps" &&
  grep -qE "final snapshot snap-[0-9a-f]+ kept \(40 GiB volume: at most \\\$2.00 a month" <<<"$out" &&
  grep -q "^kept: snap-" <<<"$out"; then
  ok "destroy keeps exactly one final snapshot of the data volume, named with its cost: ${snaps%% *}"
else
  bad "final snapshot: '$snaps': $out"
fi
if [ ! -e "$HOME/.config/craftctl/alpha/id_ed25519" ] && [ ! -e "$XDG_STATE_HOME/craftctl/alpha.json" ]; then
  ok "destroy removes the generated key and the state cache"
else
  bad "destroy leftovers"
fi
mark=$(ncalls)
out=$(cc alpha destroy --yes 2>&1)
rc=$?
m=$(mutations_since "$mark")
if [ $rc -eq 0 ] && [ -z "$m" ] && grep -q "nothing to destroy" <<<"$out"; then
  ok "a second destroy is a no-op that succeeds"
else
  bad "second destroy: exit $rc, mutations '$m': $out"
fi
out=$(cc beta destroy --yes --skip-final-snapshot 2>&1)
if [ "$($check "$ep" tagged beta)" = 0 ] && [ -z "$($check "$ep" snapshots beta)" ] &&
  ! grep -q "snapshot" <<<"$out"; then
  ok "second stack destroyed; --skip-final-snapshot keeps no snapshot"
else
  bad "beta leftovers: $($check "$ep" snapshots beta) $out"
fi

# ---- convergence under throttling, faults and eventual consistency
start_sim --latency-ms 2 --throttle-rate 0.2 --fault-rate 0.05 --consistency-delay-ms 2000 --seed 11 \
  --consistency-mutations --ec2-rate-limits
stack_file gamma 10.40.0.0/16
out=$(cc gamma provision 2>&1)
rc=$?
injected=$(curl -s "$ep/_awssim/calls" | /usr/bin/python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin) if c["status"] >= 500))')
if [ "$injected" -ge 3 ]; then
  ok "the simulator injected $injected throttles/faults into that provision"
else
  bad "only $injected injected faults: the convergence test tested nothing"
fi
if [ $rc -eq 0 ] && r=$($check "$ep" expect gamma cidr=10.40.0.0/16 2>&1); then
  ok "converges under throttle 0.2, faults 0.05, consistency 2 s (also for mutations), EC2 rate limits: $r"
else
  bad "faulty provision: exit $rc: $out ${r:-}"
fi
out=$(cc gamma provision 2>&1)
rc=$?
if [ $rc -eq 0 ] && r=$($check "$ep" expect gamma cidr=10.40.0.0/16 2>&1); then
  ok "re-run under faults keeps the same set"
else
  bad "faulty re-run: exit $rc: $out ${r:-}"
fi
out=$(cc gamma destroy --yes 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$($check "$ep" tagged gamma)" = 0 ]; then
  ok "destroy under faults leaves nothing tagged"
else
  bad "faulty destroy: exit $rc: $out"
fi

# ---- lost answers: every create's first answer is lost after the call took
# effect (a timeout or a 500 on the way back), with eventual consistency on.
# The retries meet twins, duplicates and conflicts; one run still converges.
lose() { # ACTION...: the next call of each takes effect, its answer is a 500
  # ($extra: more script entries, a JSON list)
  curl -s -X POST -d "$(/usr/bin/python3 -c 'import json, sys
print(json.dumps({"throttle_rate": 0, "fault_rate": 0, "script": [{"action": a,
      "code": "InternalError", "status": 500, "after": True} for a in sys.argv[2:]]
      + json.loads(sys.argv[1])}))' "${extra:-[]}" "$@")" \
    "$ep/_awssim/faults" >/dev/null
}
stack_file theta 10.90.0.0/16
lose CreateVpc CreateSubnet CreateInternetGateway CreateRouteTable CreateSecurityGroup \
  ImportKeyPair RunInstances AllocateAddress AssociateAddress CreateRoute AssociateRouteTable \
  AttachInternetGateway AuthorizeSecurityGroupIngress ModifyVpcAttribute ModifySubnetAttribute
mark=$(ncalls)
out=$(cc theta provision 2>&1)
rc=$?
n=$($check "$ep" lost "$mark")
if [ $rc -eq 0 ] && [ "$n" -eq 15 ] && r=$($check "$ep" expect theta cidr=10.90.0.0/16 2>&1); then
  ok "15 create answers lost after they took effect: one run converges, no twin left: $r"
else
  bad "lost answers: exit $rc, $n lost: $out ${r:-}"
fi
mark=$(ncalls)
out=$(cc theta provision 2>&1)
m=$(mutations_since "$mark")
if [ -z "$m" ]; then
  ok "after lost answers, a second provision makes zero changing calls"
else
  bad "after lost answers: mutations '$m': $out"
fi
# the answers of updates lost too: rules revoked and added, IMDSv2, a stopped
# instance started, a bigger root volume
sg=$(ec2 DescribeSecurityGroups Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=theta |
  grep -oE 'sg-[0-9a-f]+' | head -1)
iid=$($check "$ep" instance theta InstanceId)
ec2 RevokeSecurityGroupIngress GroupId="$sg" IpPermissions.1.IpProtocol=tcp IpPermissions.1.FromPort=443 \
  IpPermissions.1.ToPort=443 IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0 >/dev/null
ec2 AuthorizeSecurityGroupIngress GroupId="$sg" IpPermissions.1.IpProtocol=tcp IpPermissions.1.FromPort=5432 \
  IpPermissions.1.ToPort=5432 IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0 >/dev/null
ec2 ModifyInstanceMetadataOptions InstanceId="$iid" HttpTokens=optional >/dev/null
ec2 StopInstances InstanceId.1="$iid" >/dev/null
wait_instance theta stopped || bad "theta's instance did not stop"
printf 'instance: { root_volume: { size_gb: 40 } }\n' >>"$tmp/theta.yaml"
lose RevokeSecurityGroupIngress AuthorizeSecurityGroupIngress ModifyInstanceMetadataOptions \
  StartInstances ModifyVolume
mark=$(ncalls)
out=$(cc theta provision 2>&1)
rc=$?
n=$($check "$ep" lost "$mark")
if [ $rc -eq 0 ] && [ "$n" -eq 5 ] && r=$($check "$ep" expect theta cidr=10.90.0.0/16 size=40 2>&1); then
  ok "5 update answers lost (revoke, authorize, IMDSv2, start, volume): one run converges"
else
  bad "lost update answers: exit $rc, $n lost: $out ${r:-}"
fi
# (and, before that, the group, a subnet and the VPC refused twice each with
# DependencyViolation, as AWS does while an instance's interface lingers)
extra='[{"action": "DeleteSecurityGroup", "code": "DependencyViolation", "status": 400, "count": 2},
  {"action": "DeleteSubnet", "code": "DependencyViolation", "status": 400, "count": 2},
  {"action": "DeleteVpc", "code": "DependencyViolation", "status": 400, "count": 2}]' \
  lose TerminateInstances DeleteSubnet DeleteVpc DeleteSecurityGroup DeleteInternetGateway \
  DetachInternetGateway DeleteRouteTable DeleteKeyPair ReleaseAddress DisassociateAddress
mark=$(ncalls)
out=$(cc theta destroy --yes 2>&1)
rc=$?
n=$($check "$ep" lost "$mark")
dv=$(curl -s "$ep/_awssim/calls" | /usr/bin/python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin)[int(sys.argv[1]):] if c["error"] == "DependencyViolation"))' "$mark")
if [ $rc -eq 0 ] && [ "$n" -ge 8 ] && [ "$dv" -ge 6 ] && [ "$($check "$ep" tagged theta)" = 0 ]; then
  ok "$n delete answers lost, $dv DependencyViolations retried: destroy still leaves nothing tagged"
else
  bad "lost delete answers: exit $rc, $n lost, $dv DependencyViolation, $($check "$ep" tagged theta) tagged left: $out"
fi
curl -s -X POST -d '{"script": []}' "$ep/_awssim/faults" >/dev/null

# ---- SIGINT: stops cleanly with 130; a re-run resumes, and waits for the
# slow instance (12 s to boot here) with a still-working line every 10 s
start_sim --latency-ms 5 --boot-seconds 12
stack_file epsilon 10.60.0.0/16
"$bin" --endpoint-url "$ep" -c "$tmp/epsilon.yaml" provision >"$tmp/int.log" 2>&1 &
bg_pid=$!
# interrupted mid-way: once it has created something (its handlers are in
# place), while the instance still boots
for _ in $(seq 200); do
  grep -qE "^  created " "$tmp/int.log" && break
  sleep 0.05
done
kill -INT "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=""
out=$(cc epsilon provision 2>&1)
rc2=$?
if [ $rc -eq 130 ] && grep -q "interrupted" "$tmp/int.log" && [ $rc2 -eq 0 ] &&
  $check "$ep" expect epsilon cidr=10.60.0.0/16 >/dev/null 2>&1; then
  ok "SIGINT exits 130 and a re-run completes the stack"
else
  bad "SIGINT: exit $rc: $(cat "$tmp/int.log") / re-run exit $rc2: $out"
fi
if grep -qE "^  \.\.\. still waiting for instance server i-[0-9a-f]+ \(1[0-9]s elapsed\)$" <<<"$out"; then
  ok "a long wait prints a still-working line after 10 s"
else
  bad "no still-working line in a wait of 10+ s: $out"
fi
cc epsilon destroy --yes >/dev/null 2>&1

# ---- SIGKILL at seeded random moments, then a re-run converges
# Every kill hits a cold provision (the stack is destroyed after each round),
# at a moment spread over the time a cold provision takes on this machine now.
start_sim --latency-ms 5 --boot-seconds 0.5 --terminate-seconds 0.5
stack_file delta 10.50.0.0/16
t0=$(date +%s.%N)
cc delta provision >/dev/null 2>&1
t1=$(date +%s.%N)
cc delta destroy --yes >/dev/null 2>&1
t2=$(date +%s.%N)
span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
dspan=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
converged=0
midway=0
for seed in $(seq 1 "$kills"); do
  at=$(awk -v s="$((kill_seed0 + seed))" -v span="$span" \
    'BEGIN { srand(s); printf "%.3f", 0.02 + rand() * span }')
  "$bin" --endpoint-url "$ep" -c "$tmp/delta.yaml" provision >"$tmp/kill.log" 2>&1 &
  bg_pid=$! # craftctl itself, not a subshell: SIGKILL must hit it
  sleep "$at"
  kill -9 "$bg_pid" 2>/dev/null
  wait "$bg_pid" 2>/dev/null
  bg_pid=""
  grep -q "provision complete" "$tmp/kill.log" || midway=$((midway + 1))
  # the requests already on the wire land, as they would on AWS
  $check "$ep" settle || bad "kill seed $seed: the simulator did not settle"
  if ! out=$(cc delta provision 2>&1); then
    bad "kill seed $seed at ${at}s: re-run failed: $out"
    continue
  fi
  if ! r=$($check "$ep" expect delta cidr=10.50.0.0/16 2>&1); then
    bad "kill seed $seed at ${at}s: $r"
    continue
  fi
  cc delta destroy --yes >/dev/null 2>&1
  if [ "$($check "$ep" tagged delta)" != 0 ]; then
    bad "kill seed $seed: destroy left resources"
    continue
  fi
  converged=$((converged + 1))
done
if [ "$converged" -eq "$kills" ] && [ "$midway" -ge $((kills / 2)) ]; then
  ok "SIGKILL at $kills seeded moments ($midway mid-run, cold provision ${span}s): every re-run converged without duplicates; every destroy left nothing"
else
  bad "kill test: $converged/$kills converged, $midway killed mid-run (cold provision ${span}s)"
fi

# ---- destroy killed at seeded moments: the next destroy finishes the job
dconv=0
dmid=0
for seed in 1 2 3 4; do
  cc delta provision >/dev/null 2>&1
  at=$(awk -v s="$seed" -v span="$dspan" 'BEGIN { srand(100 + s); printf "%.3f", 0.02 + rand() * span }')
  "$bin" --endpoint-url "$ep" -c "$tmp/delta.yaml" destroy --yes >"$tmp/kill.log" 2>&1 &
  bg_pid=$!
  sleep "$at"
  kill -9 "$bg_pid" 2>/dev/null
  wait "$bg_pid" 2>/dev/null
  bg_pid=""
  grep -q "destroy complete" "$tmp/kill.log" || dmid=$((dmid + 1))
  $check "$ep" settle || bad "destroy kill seed $seed: the simulator did not settle"
  if cc delta destroy --yes >/dev/null 2>&1 && [ "$($check "$ep" tagged delta)" = 0 ]; then
    dconv=$((dconv + 1))
  fi
done
if [ "$dconv" -eq 4 ] && [ "$dmid" -ge 2 ]; then
  ok "destroy killed at 4 seeded moments ($dmid mid-run, destroy ${dspan}s): the next destroy always finished"
else
  bad "killed destroy: $dconv/4 finished, $dmid killed mid-run (destroy ${dspan}s)"
fi

stop_sim
echo "engine: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
