#!/usr/bin/env bash
# craftctl under valgrind's memcheck: no invalid read or write, no use of
# uninitialised memory and no definite leak, on the paths a user takes most
# (help, usage errors, a broken stack file) and on a whole stack's life
# against the AWS simulator: plan, provision, a no-op provision, status,
# api, iam-policy, diagram, destroy. ASan covers the unit tests; this covers
# the binary as built and shipped (-O2, the real libcurl/OpenSSL/libyaml),
# and a deploy over libssh2 to a real sshd and dockerd (tests/deploy/lib.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
bin=$top/${CRAFTCTL:-build/craftctl}
# shellcheck source=tests/deploy/lib.sh
. tests/deploy/lib.sh
tmp=$(mktemp -d /tmp/craft-valgrind-XXXXXX)
cleanup() {
  sandbox_stop_pid "$SIM_PID"
  env_stop
  rm -rf "$tmp"
}
trap cleanup EXIT

export HOME=$tmp/home XDG_STATE_HOME=$tmp/state
unset XDG_CONFIG_HOME AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
  AWS_ENDPOINT_URL_EC2 AWS_REGION AWS_DEFAULT_REGION GITHUB_ACTIONS
export AWS_ACCESS_KEY_ID=AKIDVALGRINDTEST AWS_SECRET_ACCESS_KEY=valgrind-test-secret
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$tmp/none AWS_SHARED_CREDENTIALS_FILE=$tmp/none
mkdir -p "$HOME"

# vg NAME WANT ARGS...: craftctl ARGS under memcheck must exit WANT and
# valgrind must report no error (its own exit status 97 says it did).
vg() {
  local name=$1 want=$2 log rc
  shift 2
  log=$tmp/vg.$pass.$fail.log
  valgrind -q --error-exitcode=97 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --num-callers=30 --log-file="$log" \
    "$bin" "$@" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -eq 97 ] || [ -s "$log" ]; then
    bad "$name: valgrind reports errors:"
    sed 's/^/    /' "$log" | head -60
  elif [ "$rc" -ne "$want" ]; then
    bad "$name: exit $rc, want $want: $(tail -5 "$tmp/out")"
  else
    ok "$name: exit $rc, memcheck clean"
  fi
}

command -v valgrind >/dev/null || give_up "valgrind is not installed (deps/valgrind.txt lists it)"

vg "--help" 0 --help
vg "help up" 0 help up
vg "completion bash" 0 completion bash
vg "completion man" 0 completion man
vg "iam-policy" 0 iam-policy
vg "unknown option" 2 --no-such-option
printf 'stack: vg\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/33\n' >"$tmp/broken.yaml"
vg "a broken stack file" 2 -c "$tmp/broken.yaml" plan

mkdir -p "$tmp/sim"
if ! sandbox_sim_start "$tmp/sim" --access-key "$AWS_ACCESS_KEY_ID" \
  --secret-key "$AWS_SECRET_ACCESS_KEY" --boot-seconds 1 --terminate-seconds 1; then
  give_up "the simulator did not start"
fi
export CRAFTCTL_CHECKIP_URL=$SIM_URL/_awssim/checkip
cat >"$tmp/vg.yaml" <<YAML
stack: vg
region: us-east-2
network:
  cidr: 10.42.0.0/16
  availability_zones: 2
YAML
c=(--endpoint-url "$SIM_URL" -c "$tmp/vg.yaml")
vg "plan" 0 "${c[@]}" plan
vg "provision (cold, concurrent calls)" 0 "${c[@]}" provision
made=$(/usr/bin/python3 tests/engine/simcheck.py "$SIM_URL" tagged vg)
if [ "$made" -gt 10 ] 2>/dev/null; then ok "provision under valgrind made the stack ($made resources)"; else bad "provision made ${made:-no} resources"; fi
vg "provision (no-op)" 0 "${c[@]}" provision
vg "status --json" 0 "${c[@]}" --json status
vg "api ec2 DescribeVpcs" 0 --endpoint-url "$SIM_URL" --region us-east-2 api ec2 DescribeVpcs
vg "api iam GetRole (an AWS error, exit 1)" 1 --endpoint-url "$SIM_URL" --region us-east-2 \
  api iam GetRole RoleName=no-such-role
printf '{"Name": "vg.example.com", "CallerReference": "vg-1"}' >"$tmp/zone.json"
vg "api route53 CreateHostedZone --body (REST-XML serializer)" 0 --endpoint-url "$SIM_URL" \
  --region us-east-2 api route53 CreateHostedZone --body "$tmp/zone.json"
printf '{"Nme": "x"}' >"$tmp/typo.json"
vg "api route53 with an unknown member (usage error)" 2 --endpoint-url "$SIM_URL" \
  --region us-east-2 api route53 CreateHostedZone --body "$tmp/typo.json"
vg "api ecs with a wrong action (usage error)" 2 --region us-east-2 api ecs ListClusterz
vg "diagram (live, dot)" 0 "${c[@]}" diagram --format dot -o "$tmp/stack.dot"
vg "destroy --yes" 0 "${c[@]}" destroy --yes
left=$(/usr/bin/python3 tests/engine/simcheck.py "$SIM_URL" tagged vg)
if [ "$left" = 0 ]; then ok "destroy left nothing tagged"; else bad "destroy left $left tagged resources"; fi

# The deploy: libssh2, the host key check, libarchive's bundle, the
# remote steps and the health check, to a real sshd and Docker engine.
env_start || give_up "cannot start sshd and dockerd"
hp=$(free_port_not "$SSH_PORT")
stage_demo "$ENV_TMP/app" "$hp"
target=(--host 127.0.0.1 --port "$SSH_PORT" --user root -i "$ENV_TMP/id_ed25519")
vg "deploy --host (new host key accepted)" 0 -c "$ENV_TMP/app/craftctl.yaml" deploy "${target[@]}" --accept-new-host-key --health-timeout 60
if curl -fsS --max-time 5 "http://127.0.0.1:$hp/" >/dev/null; then ok "the deployed site answers"; else bad "the deployed site does not answer on port $hp"; fi
vg "ssh -- (pinned host key)" 0 -c "$ENV_TMP/app/craftctl.yaml" ssh "${target[@]}" -- echo hello
if grep -qx hello "$tmp/out"; then ok "ssh ran the command"; else bad "ssh printed: $(head -3 "$tmp/out")"; fi
vg "a wrong --host-key is refused" 1 -c "$ENV_TMP/app/craftctl.yaml" ssh "${target[@]}" --host-key SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA -- true
if grep -q "SHA256:AAAAAAAA" "$tmp/out" && ! grep -qx hello "$tmp/out"; then
  ok "the mismatch names the expected key"
else
  bad "the mismatch message: $(head -3 "$tmp/out")"
fi

finish
