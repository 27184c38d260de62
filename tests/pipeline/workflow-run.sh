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
bin=${CRAFTCTL:-build/craftctl}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-wfrun.XXXXXX")
pids=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2> /dev/null
    wait "$p" 2> /dev/null
  done
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
finish() {
  echo "workflow-run: $pass ok, $fail failed"
  [ "$fail" -eq 0 ]
  exit
}
if ! "$bin" help destroy > /dev/null 2>&1 || [ ! -f craftctl.yaml ]; then
  echo "PEND workflow-run: no destroy command or no craftctl.yaml in this tree"
  finish
fi
stack=$(.github/scripts/stack-info.py craftctl.yaml stack)

# The runner's workspace: this tree's files (as a checkout has them) and a
# copy of the build, so the job's `make` has little to do. Outside a git
# checkout the version string differs; version.h gets it with an old date.
work=$tmp/workspace
mkdir -p "$work"
git ls-files -co --exclude-standard -z | grep -zv '^tests/pipeline/node_modules/' |
  xargs -0 cp --parents --preserve=timestamps -t "$work" 2> /dev/null
cp -a build "$work/build"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
printf '#define CRAFT_VERSION "%s"\n' "$version" > "$work/build/gen/version.h"
touch -d '2000-01-01' "$work/build/gen/version.h"

tests/awssim/awssim --port 0 --port-file "$tmp/port" --boot-seconds 1 --terminate-seconds 1 \
  > "$tmp/awssim.log" 2>&1 &
pids+=($!)
cat > "$tmp/listener.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[1], "ab") as f:
            f.write(body + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[2], "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
PY
/usr/bin/python3 "$tmp/listener.py" "$tmp/hook.jsonl" "$tmp/hookport" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && [ -s "$tmp/hookport" ] && break; sleep 0.1; done
if [ ! -s "$tmp/port" ] || [ ! -s "$tmp/hookport" ]; then
  bad "workflow-run: the simulator or the webhook listener did not start: $(tail -3 "$tmp/awssim.log")"
  finish
fi
endpoint=http://127.0.0.1:$(cat "$tmp/port")
hook=http://127.0.0.1:$(cat "$tmp/hookport")/hook

b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
printf '%s.%s.%s\n' "$(b64url '{"alg":"RS256","typ":"JWT"}')" \
  "$(b64url '{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:acme/shop:environment:production"}')" \
  "$(b64url signature)" > "$tmp/token"
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
