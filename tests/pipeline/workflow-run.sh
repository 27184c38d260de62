#!/usr/bin/env bash
# Runs destroy.yml's job as written (tests/pipeline/run_workflow.py stands in
# for the runner, checkout and configure-aws-credentials) against the AWS
# simulator: a copy of this tree with the repository's own craftctl.yaml is
# provisioned first; then
#  - a wrong confirmation: the job fails at the confirmation, nothing is
#    built or destroyed, the notification still reports the failure;
#  - the right one: the job installs its packages (scripts/deps.sh: nothing
#    missing here), builds craftctl, assumes the role with a GitHub-shaped
#    OIDC token, destroys the stack, writes the job summary and notifies.
# Prints ok/FAIL lines and a count.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
PL_NAME=workflow-run
# shellcheck source=tests/lib/sandbox.sh
. tests/lib/sandbox.sh
# shellcheck source=tests/pipeline/lib.sh
. tests/pipeline/lib.sh
bin=${CRAFTCTL:-build/craftctl}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-wfrun.XXXXXX")
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  sandbox_stop_pid "$SIM_PID"
  sandbox_stop_pid "$HOOK_PID"
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
if ! "$bin" help destroy > /dev/null 2>&1 || [ ! -f craftctl.yaml ]; then
  echo "PEND workflow-run: no destroy command or no craftctl.yaml in this tree"
  finish
fi
stack=$(.github/scripts/stack-info.py craftctl.yaml stack)

# The runner's workspace: this tree as a checkout has it, and the build.
work=$tmp/workspace
pl_workspace "$work"

if ! sandbox_sim_start "$tmp" --boot-seconds 1 --terminate-seconds 1 2> /dev/null || ! pl_hook_start "$tmp"; then
  bad "workflow-run: the simulator or the webhook listener did not start: $(tail -3 "$tmp/sim.log")"
  finish
fi
endpoint=$SIM_URL
hook=$HOOK_URL
pl_oidc_token "$tmp/token"
mkdir -p "$tmp/home"
oidc=(AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/token" AWS_ENDPOINT_URL="$endpoint"
  AWS_EC2_METADATA_DISABLED=true CRAFTCTL_CHECKIP_URL="$endpoint/_awssim/checkip")

# The stack exists before the destroy workflow runs.
(cd "$work" && env -i PATH="$PATH" HOME="$tmp/home" "${oidc[@]}" \
  AWS_ROLE_ARN=arn:aws:iam::123456789012:role/craftctl-deploy AWS_REGION=us-east-2 \
  "$bin" provision --yes > /dev/null 2> "$tmp/provision.err")
rc=$?
vpcs() {
  (cd "$work" && env -i PATH="$PATH" HOME="$tmp/home" "${oidc[@]}" \
    AWS_ROLE_ARN=arn:aws:iam::123456789012:role/craftctl-deploy AWS_REGION=us-east-2 \
    "$bin" api ec2 DescribeVpcs Filter.1.Name=tag:craftctl:stack "Filter.1.Value.1=$stack" 2> /dev/null |
    grep -c '<vpcId>')
}
if [ "$rc" -eq 0 ] && [ "$(vpcs)" = 1 ]; then
  ok "the repository's craftctl.yaml ($stack) provisioned on the simulator"
else
  bad "provision of craftctl.yaml: exit $rc: $(tail -3 "$tmp/provision.err")"
  finish
fi

job() { # job CONFIRM: runs destroy.yml's job; output in $tmp/job.out
  env -i PATH="$PATH" HOME="$tmp/home" TMPDIR="$tmp" /usr/bin/python3 "$root/tests/pipeline/run_workflow.py" \
    "$root/.github/workflows/destroy.yml" destroy --workdir "$work" \
    --input "confirm_stack=$1" --input stack_file=craftctl.yaml \
    --var AWS_ROLE_ARN=arn:aws:iam::123456789012:role/craftctl-deploy --var AWS_REGION=us-east-2 \
    --secret "DEPLOY_WEBHOOK_URL=$hook" \
    --env "HOME=$tmp/home" --env "PATH=$PATH" \
    --emulate-aws "AWS_WEB_IDENTITY_TOKEN_FILE=$tmp/token" --emulate-aws "AWS_ENDPOINT_URL=$endpoint" \
    --emulate-aws AWS_EC2_METADATA_DISABLED=true > "$tmp/job.out" 2>&1
}
outcome() { grep "^step [0-9]* $1: " "$tmp/job.out" | sed 's/.*: //'; }

job "not-$stack"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(outcome 'Confirm the stack name')" = failure ] &&
  [ "$(outcome 'Build craftctl')" = skipped ] && [ "$(outcome 'craftctl destroy')" = skipped ] &&
  [ "$(outcome 'Job summary')" = skipped ] && [ "$(outcome Notify)" = success ] &&
  grep -q "^::error title=destroy::the typed name 'not-$stack'" "$tmp/job.out"; then
  ok "destroy.yml with a wrong name: fails at the confirmation, builds and destroys nothing"
else
  bad "destroy.yml with a wrong name (exit $rc):"$'\n'"$(cat "$tmp/job.out")"
fi
if [ "$(vpcs)" = 1 ]; then ok "the stack is still there"; else bad "the stack was touched"; fi
if [ "$(wc -l < "$tmp/hook.jsonl" 2> /dev/null)" = 1 ] && grep -q '"action": "destroy", "outcome": "failure"' "$tmp/hook.jsonl"; then
  ok "the webhook heard of the failed destroy"
else
  bad "webhook after the failed destroy: $(cat "$tmp/hook.jsonl" 2> /dev/null)"
fi

job "$stack"
rc=$?
summary=$(sed -n 's/.*"summary": "\([^"]*\)".*/\1/p' "$tmp/job.out")
if [ "$rc" -eq 0 ] && [ "$(outcome 'craftctl destroy')" = success ] &&
  [ "$(outcome 'Build craftctl')" = success ] && [ "$(outcome 'Install the build packages')" = success ]; then
  ok "destroy.yml with the stack's name: every step succeeds"
else
  bad "destroy.yml with the stack's name (exit $rc):"$'\n'"$(cat "$tmp/job.out")"
fi
if [ "$(vpcs)" = 0 ]; then ok "the stack is gone"; else bad "the stack is still there after destroy.yml"; fi
if [ -n "$summary" ] && grep -q "^### ✅ destroy craftctl.yaml: success" "$summary" &&
  grep -qE '^\| destroy \| [0-9.]+ s \| ok \|$' "$summary"; then
  ok "the job summary reports the destroy and its time"
else
  bad "job summary: $(cat "$summary" 2> /dev/null)"
fi
if [ "$(wc -l < "$tmp/hook.jsonl")" = 2 ] && tail -1 "$tmp/hook.jsonl" | grep -q '"action": "destroy", "outcome": "success"'; then
  ok "the webhook heard of the destroy"
else
  bad "webhook after the destroy: $(cat "$tmp/hook.jsonl")"
fi
finish
