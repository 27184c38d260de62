#!/usr/bin/env bash
# Runs deploy.yml's job as written (run_workflow.py stands in for the
# runner, checkout and configure-aws-credentials), dispatched with the demo
# stack, against the AWS simulator with real sshd instances and a private
# Docker engine, the way `make demo` runs craftctl by hand:
#   the deploy key comes from the DEPLOY_SSH_KEY "secret", `craftctl up
#   --yes --json` provisions and deploys, the job summary and the
#   environment URL come from its events, the webhook hears of it, the URL
#   answers; then destroy.yml removes the stack.
# Needs root (sshd for the instances, dockerd); otherwise reports PEND.
# Ports are free ones; everything started is stopped by PID.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
PL_NAME=deploy-run
# shellcheck source=tests/lib/sandbox.sh
. tests/lib/sandbox.sh
# shellcheck source=tests/pipeline/lib.sh
. tests/pipeline/lib.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "PEND deploy-run: needs root (sshd for the simulated instances, dockerd)"
  finish
fi
if ! build/craftctl help up > /dev/null 2>&1 || [ ! -f examples/demo/docker-compose.yml ]; then
  echo "PEND deploy-run: no up command or no examples/demo/ in this tree"
  finish
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-deployrun.XXXXXX")
chmod 0700 "$tmp"
docker_host=
shared_engine=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  sandbox_stop_pid "$SIM_PID"
  sandbox_stop_pid "$HOOK_PID"
  [ -z "$shared_engine" ] || sandbox_compose_purge "$docker_host" ci-deploy-run
  sandbox_dockerd_stop "$tmp" "$DOCKERD_PID"
  # the demo's data volume, bind-mounted under $tmp/data by its deploy
  { grep -o " $tmp/data/[^ ]*" /proc/mounts 2>/dev/null || true; } | while read -r m; do
    umount "$m" 2>/dev/null || true
  done
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
ssh_port=$(sandbox_free_port)
http_port=$(sandbox_free_port "$ssh_port")

# The workspace: this tree as a checkout has it, the build copied (with the
# version string a tree without .git gets), busybox for the demo image.
work=$tmp/workspace
pl_workspace "$work"
cp /bin/busybox "$work/examples/demo/web/busybox"
# A stack file for the demo application (examples/demo: busybox built FROM
# scratch) on the simulator, on this run's own ports.
cat > "$work/examples/demo/ci-deploy-run.yaml" <<YAML
stack: ci-deploy-run
region: us-east-2
network: { cidr: 10.43.0.0/16, availability_zones: 1 }
instance:
  type: t3.micro
  image: ubuntu-24.04
  root_volume: { size_gb: 16, type: gp3 }
  ssh_user: root            # the simulated instance is this machine
  ssh_port: $ssh_port
access:
  ssh_from: [auto]
  http_from: [0.0.0.0/0]
deploy:
  compose_file: docker-compose.yml
  http_port: $http_port
  health_path: /api/health
  env:
    HTTP_PORT: "$http_port"
    GREETING: hello from deploy.yml
  secrets: [DEMO_SECRET]
YAML

started=1
sandbox_sim_start "$tmp" --boot-seconds 2 --terminate-seconds 1 --ssh-instances --ssh-port "$ssh_port" \
  2> /dev/null || started=
pl_hook_start "$tmp" || started=
if docker info > /dev/null 2>&1; then
  docker_host=${DOCKER_HOST:-}
  shared_engine=1
else
  sandbox_dockerd_start "$tmp" 2> /dev/null || started=
  docker_host=$DOCKERD_HOST
fi
if [ -z "$started" ]; then
  bad "deploy-run: simulator, webhook listener or Docker engine did not start: $(tail -3 "$tmp/sim.log" "$tmp/dockerd.log" 2> /dev/null)"
  finish
fi
endpoint=$SIM_URL
hook=$HOOK_URL
pl_oidc_token "$tmp/token"
ssh-keygen -q -t ed25519 -N '' -C deploy-secret -f "$tmp/secret-key"
mkdir -p "$tmp/home"

# job WORKFLOW JOB ARGS...: runs a job with the runner environment of this
# machine (the instance is this machine: releases under $tmp/remote, its
# Docker engine the private one).
job() {
  local wf=$1 name=$2
  shift 2
  env -i PATH="$PATH" HOME="$tmp/home" TMPDIR="$tmp" /usr/bin/python3 "$root/tests/pipeline/run_workflow.py" \
    "$root/.github/workflows/$wf" "$name" --workdir "$work" \
    --var AWS_ROLE_ARN=arn:aws:iam::123456789012:role/craftctl-deploy --var AWS_REGION=us-east-2 \
    --secret "DEPLOY_WEBHOOK_URL=$hook" \
    --env "HOME=$tmp/home" --env "PATH=$PATH" --env "XDG_CONFIG_HOME=$tmp/config" \
    --env "XDG_STATE_HOME=$tmp/state" --env "CRAFTCTL_REMOTE_ROOT=$tmp/remote" --env "CRAFTCTL_REMOTE_DATA_ROOT=$tmp/data" \
    --env "CRAFTCTL_REMOTE_DOCKER_HOST=$docker_host" --env "CRAFTCTL_CHECKIP_URL=$endpoint/_awssim/checkip" \
    --emulate-aws "AWS_WEB_IDENTITY_TOKEN_FILE=$tmp/token" --emulate-aws "AWS_ENDPOINT_URL=$endpoint" \
    --emulate-aws AWS_EC2_METADATA_DISABLED=true "$@"
}
outcome() { grep "^step [0-9]* $2: " "$1" | sed 's/.*: //'; }
field() { /usr/bin/python3 -c 'import json, sys; print(eval(sys.argv[2], {}, {"j": json.loads(open(sys.argv[1]).read().splitlines()[-1])}))' "$@" 2> /dev/null; }

start=$(date +%s)
job deploy.yml up --input stack_file=examples/demo/ci-deploy-run.yaml \
  --secret "DEPLOY_SSH_KEY=$(cat "$tmp/secret-key")" > "$tmp/deploy.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
failed_steps=$(grep -E '^step [0-9]+ .*: failure$' "$tmp/deploy.out")
if [ "$rc" -eq 0 ] && [ -z "$failed_steps" ]; then
  ok "deploy.yml dispatched with the demo stack: every step succeeds (${secs}s)"
else
  bad "deploy.yml (exit $rc): ${failed_steps:-no step failed}"$'\n'"$(tail -40 "$tmp/deploy.out")"$'\n'"$(tail -5 "$tmp/sim.log")"
fi
url=$(field "$tmp/deploy.out" 'j["outputs"]["summary"]["url"]')
release=$(field "$tmp/deploy.out" 'j["outputs"]["summary"]["release"]')
if [ -n "$url" ] && [ "$(field "$tmp/deploy.out" 'j["environment_url"]')" = "$url" ] && [ -n "$release" ]; then
  ok "the summary step's outputs give the environment its URL ($url) and the release ($release)"
else
  bad "summary outputs: url '$url', release '$release': $(tail -1 "$tmp/deploy.out")"
fi
if [ -n "$url" ] && curl -fsS --max-time 10 "$url" > /dev/null; then
  ok "the deployed stack answers at $url"
else
  bad "the deployed stack does not answer at '$url'"
fi
summary=$(field "$tmp/deploy.out" 'j["summary"]')
if grep -q '^### ✅ deploy examples/demo/ci-deploy-run.yaml: success' "$summary" 2> /dev/null &&
  grep -qF "| release | $release |" "$summary" && grep -qE '^\| provision \| [0-9.]+ s \| ok \|$' "$summary"; then
  ok "the job summary has the outcome, the release and the phase times"
else
  bad "job summary: $(cat "$summary" 2> /dev/null)"
fi
if grep -q '"action": "deploy", "outcome": "success"' "$tmp/hook.jsonl" 2> /dev/null &&
  grep -qF "\"release\": \"$release\"" "$tmp/hook.jsonl"; then
  ok "the webhook heard of the deploy, with its release"
else
  bad "webhook: $(cat "$tmp/hook.jsonl" 2> /dev/null)"
fi
key=$tmp/config/craftctl/ci-deploy-run/id_ed25519
if cmp -s "$key" "$tmp/secret-key" && ! grep -q 'generated an ed25519 key' "$tmp/deploy.out"; then
  ok "craftctl deployed with the key from the DEPLOY_SSH_KEY secret"
else
  bad "the deploy key is not the secret's"
fi

job destroy.yml destroy --input stack_file=examples/demo/ci-deploy-run.yaml --input confirm_stack=ci-deploy-run \
  > "$tmp/destroy.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ "$(outcome "$tmp/destroy.out" 'craftctl destroy')" = success ]; then
  ok "destroy.yml removes the stack"
else
  bad "destroy.yml (exit $rc):"$'\n'"$(tail -30 "$tmp/destroy.out")"
fi

# Dispatched with a stack file that is not in the repository: it stops at
# the check, before any build or AWS credentials, says why in an
# annotation, and the webhook hears of the failure.
job deploy.yml up --input stack_file=examples/no-such-stack.yaml > "$tmp/nofile.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$(outcome "$tmp/nofile.out" 'Check the stack file')" = failure ] &&
  [ "$(outcome "$tmp/nofile.out" 'Build craftctl')" = skipped ] &&
  [ "$(outcome "$tmp/nofile.out" 'Configure AWS credentials (OIDC)')" = skipped ] &&
  [ "$(outcome "$tmp/nofile.out" 'craftctl up')" = skipped ] && [ "$(outcome "$tmp/nofile.out" Notify)" = success ] &&
  grep -q "^::error title=deploy::stack file 'examples/no-such-stack.yaml' is not in the repository" "$tmp/nofile.out" &&
  tail -1 "$tmp/hook.jsonl" | grep -q '"action": "deploy", "outcome": "failure"'; then
  ok "deploy.yml with a stack file not in the repository: an annotation, nothing built, the webhook told"
else
  bad "deploy.yml with a missing stack file (exit $rc):"$'\n'"$(cat "$tmp/nofile.out")"$'\n'"$(tail -1 "$tmp/hook.jsonl")"
fi
finish
