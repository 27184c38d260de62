#!/usr/bin/env bash
# The deploy workflow's path through craftctl, on this machine, with the
# AWS simulator (tests/awssim) standing in for AWS:
#  - credentials the way GitHub Actions OIDC gives them: a GitHub-shaped
#    web identity token and a role ARN (STS AssumeRoleWithWebIdentity);
#  - the deploy key installed from a "secret" by .github/scripts/
#    install-ssh-key.sh, which craftctl must then use (not generate another):
#    the key pair in EC2 holds that key's public half;
#  - `craftctl --json provision`, again (idempotent), `status`, and
#    `destroy --yes --json`, with the job summary made from each real event
#    stream by .github/scripts/summary.py;
#  - every AWS action the simulator saw is allowed by `craftctl iam-policy`
#    (or needs no permission), and every EC2 call ran as the assumed role.
# Prints ok/FAIL lines and a count.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
PL_NAME=oidc-deploy
# shellcheck source=tests/lib/sandbox.sh
. tests/lib/sandbox.sh
# shellcheck source=tests/pipeline/lib.sh
. tests/pipeline/lib.sh
bin=${CRAFTCTL:-build/craftctl}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-oidc.XXXXXX")
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  sandbox_stop_pid "$SIM_PID"
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

if ! "$bin" help provision > /dev/null 2>&1 || ! "$bin" help destroy > /dev/null 2>&1; then
  echo "PEND oidc-deploy: this build has no provision/destroy yet"
  finish
fi

if ! sandbox_sim_start "$tmp" --boot-seconds 1 --terminate-seconds 1 --seed 8 2> /dev/null; then
  bad "oidc-deploy: the simulator did not start: $(tail -3 "$tmp/sim.log")"
  finish
fi
endpoint=$SIM_URL
pl_oidc_token "$tmp/token" '{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:acme/shop:environment:production","repository":"acme/shop","ref":"refs/heads/main"}'

mkdir -p "$tmp/home" "$tmp/work"
cat > "$tmp/work/craftctl.yaml" <<'YAML'
stack: oidc-ci
region: us-east-2
YAML
ssh-keygen -q -t ed25519 -N '' -C deploy-secret -f "$tmp/secret-key"

# The job's environment: no access keys at all, only the OIDC pair.
run() {
  (cd "$tmp/work" && env -i PATH="$PATH" HOME="$tmp/home" NO_COLOR=1 \
    AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/token" \
    AWS_ROLE_ARN=arn:aws:iam::123456789012:role/craftctl-deploy \
    AWS_ROLE_SESSION_NAME=craftctl-deploy-42 AWS_REGION=us-east-2 \
    AWS_EC2_METADATA_DISABLED=true CRAFTCTL_CHECKIP_URL="$endpoint/_awssim/checkip" \
    "$@")
}

# How many VPCs, subnets, key pairs, addresses and live instances carry the
# stack's tag, asked through craftctl's own `api` command.
tagged() {
  local f=(Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=oidc-ci) counts=() action id
  while read -r action id; do
    counts+=("$(run "$bin" --endpoint-url "$endpoint" api ec2 "$action" "${f[@]}" 2> /dev/null | grep -o "<$id>" | wc -l)")
  done <<'LIST'
DescribeVpcs vpcId
DescribeSubnets subnetId
DescribeKeyPairs keyPairId
DescribeAddresses allocationId
LIST
  counts+=("$(run "$bin" --endpoint-url "$endpoint" api ec2 DescribeInstances "${f[@]}" \
    Filter.2.Name=instance-state-name Filter.2.Value.1=pending Filter.2.Value.2=running \
    Filter.2.Value.3=stopping Filter.2.Value.4=stopped 2> /dev/null | grep -o '<instanceId>' | wc -l)")
  echo "${counts[*]}"
}

out=$(run env DEPLOY_SSH_KEY="$(cat "$tmp/secret-key")" "$root/.github/scripts/install-ssh-key.sh" craftctl.yaml 2>&1)
key=$tmp/home/.config/craftctl/oidc-ci/id_ed25519
if [ -f "$key" ] && cmp -s "$key" "$tmp/secret-key"; then
  ok "install-ssh-key.sh put the secret where craftctl keeps the stack's key"
else
  bad "install-ssh-key.sh: $out"
fi

run "$bin" --endpoint-url "$endpoint" --json provision --yes > "$tmp/up.jsonl" 2> "$tmp/up.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '"event":"result"' "$tmp/up.jsonl"; then
  ok "provision with web identity credentials: exit 0, a result event"
else
  bad "provision with web identity credentials: exit $rc: $(tail -5 "$tmp/up.err")"
fi
if ! grep -qi 'generated' "$tmp/up.err" "$tmp/up.jsonl" && cmp -s "$key" "$tmp/secret-key"; then
  ok "craftctl used the installed deploy key (generated none)"
else
  bad "craftctl generated its own key instead of using the installed one"
fi
material=$(run "$bin" --endpoint-url "$endpoint" api ec2 DescribeKeyPairs IncludePublicKey=true 2>&1 |
  sed -n 's:.*<publicKey>\([^<]*\)</publicKey>.*:\1:p')
if [ -n "$material" ] && [ "$(cut -d' ' -f1,2 <<<"$material")" = "$(cut -d' ' -f1,2 "$tmp/secret-key.pub")" ]; then
  ok "the EC2 key pair is the deploy secret's public half"
else
  bad "the EC2 key pair is not the deploy key: '$material'"
fi

run env GITHUB_STEP_SUMMARY="$tmp/summary.md" GITHUB_OUTPUT="$tmp/output" \
  "$root/.github/scripts/summary.py" --title "deploy craftctl.yaml" --outcome success "$tmp/up.jsonl"
if grep -q '^| url | \[http://' "$tmp/summary.md" && grep -qE '^\| provision \| [0-9.]+ s \| ok \|$' "$tmp/summary.md" &&
  grep -q '^url=http://' "$tmp/output"; then
  ok "the job summary from provision's real events has the URL and the phase time"
else
  bad "job summary: $(cat "$tmp/summary.md")"
fi

before=$(tagged)
if [[ $before =~ ^[1-9][0-9]*\ [1-9][0-9]*\ 1\ 1\ 1$ ]]; then
  ok "provisioned: tagged VPC, subnets, key pair, address and instance ($before)"
else
  bad "after provision, tagged (vpcs subnets keys addresses instances): $before"
fi

# A fresh runner has no state: only the key (installed from the secret) is there.
rm -rf "$tmp/home/.local/state" "$tmp/home/.cache"
run "$bin" --endpoint-url "$endpoint" --json provision --yes > "$tmp/again.jsonl" 2> "$tmp/again.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '"message":"provision complete: 0 created' "$tmp/again.jsonl"; then
  ok "a second provision (a fresh runner: no state) creates nothing"
else
  bad "second provision: exit $rc: $(grep result "$tmp/again.jsonl") $(tail -3 "$tmp/again.err")"
fi
run "$bin" --endpoint-url "$endpoint" status > /dev/null 2> "$tmp/status.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok "status: exit 0"; else bad "status: exit $rc: $(tail -3 "$tmp/status.err")"; fi

run "$root/.github/scripts/confirm-stack.sh" craftctl.yaml oidc-ci > /dev/null 2>&1 || bad "confirm-stack refused the right name"
run "$bin" --endpoint-url "$endpoint" --json destroy --yes > "$tmp/destroy.jsonl" 2> "$tmp/destroy.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '"event":"phase_end","phase":"destroy".*"status":"ok"' "$tmp/destroy.jsonl"; then
  ok "destroy --yes --json: exit 0, the destroy phase ok"
else
  bad "destroy: exit $rc: $(tail -5 "$tmp/destroy.err")"
fi
left=$(tagged)
if [ "$left" = "0 0 0 0 0" ]; then
  ok "nothing tagged with the stack is left (VPCs, subnets, key pairs, addresses, live instances)"
else
  bad "left after destroy (vpcs subnets keys addresses instances): $left"
fi

"$bin" iam-policy > "$tmp/policy.json"
curl -s "$endpoint/_awssim/calls" > "$tmp/calls.json"
res=$(/usr/bin/python3 - "$tmp/policy.json" "$tmp/calls.json" <<'PY'
import json, sys
policy = json.load(open(sys.argv[1]))
allowed = {a for st in policy["Statement"] for a in st["Action"]}
calls = json.load(open(sys.argv[2]))
no_policy = {"sts:AssumeRoleWithWebIdentity"}
called = {f"{c['service']}:{c['action']}" for c in calls}
missing = sorted(called - allowed - no_policy)
principals = {c.get("principal") for c in calls if c["service"] == "ec2"}
print(len(called), len(calls), ",".join(missing) or "-", ",".join(sorted(map(str, principals))))
PY
)
read -r n_actions n_calls missing principals <<<"$res"
if [ "$missing" = "-" ] && [ "${n_actions:-0}" -gt 10 ]; then
  ok "all $n_actions actions of $n_calls calls are in craftctl iam-policy (or need no permission)"
else
  bad "actions the simulator saw but the policy does not allow: $missing ($res)"
fi
if [ "$principals" = "arn:aws:sts::123456789012:assumed-role/craftctl-deploy/craftctl-deploy-42" ]; then
  ok "every EC2 call ran as the role assumed with the OIDC token"
else
  bad "EC2 calls ran as: $principals"
fi
finish
