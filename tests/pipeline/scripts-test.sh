#!/usr/bin/env bash
# Runs the scripts the workflows call (.github/scripts/) the way the
# workflows do, on this machine: the deploy key install, the destroy
# confirmation, the job summary, the webhook notification (to a listener on
# 127.0.0.1), and the compose .env writer. Prints ok/FAIL lines and
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
scripts=$PWD/.github/scripts
# shellcheck source=tests/pipeline/lib.sh
. tests/pipeline/lib.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-pipeline-scripts.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
check() { # check NAME CMD...: ok when CMD succeeds
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
mode() { stat -c %a "$1"; }

# ---- stack files and a deploy key
cat > "$tmp/craftctl.yaml" <<'YAML'
stack: demo-stack   # a comment
region: us-east-2
instance:
  type: t3.small
YAML
cat > "$tmp/withkey.yaml" <<'YAML'
stack: keyed
instance:
  ssh_key: ~/.ssh/craftctl_deploy
YAML
ssh-keygen -q -t ed25519 -N '' -C ci-test -f "$tmp/deploykey"
ssh-keygen -q -t ed25519 -N 'a passphrase' -f "$tmp/encrypted"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/otherkey"

check "stack-info.py reads the stack name" \
  test "$("$scripts/stack-info.py" "$tmp/craftctl.yaml" stack)" = demo-stack
check "stack-info.py reads instance.ssh_key" \
  test "$("$scripts/stack-info.py" "$tmp/withkey.yaml" ssh_key)" = \~/.ssh/craftctl_deploy
check "stack-info.py: no ssh_key is empty" \
  test -z "$("$scripts/stack-info.py" "$tmp/craftctl.yaml" ssh_key)"
printf 'region: x\n' > "$tmp/nostack.yaml"
"$scripts/stack-info.py" "$tmp/nostack.yaml" stack > /dev/null 2>&1
check "stack-info.py: a file without stack: exits 2" test $? -eq 2

# ---- install-ssh-key.sh
home=$tmp/home1
mkdir -p "$home"
out=$(HOME=$home XDG_CONFIG_HOME='' DEPLOY_SSH_KEY=$(cat "$tmp/deploykey") \
  "$scripts/install-ssh-key.sh" "$tmp/craftctl.yaml" 2>&1)
rc=$?
key=$home/.config/craftctl/demo-stack/id_ed25519
check "install-ssh-key: exit 0 ($out)" test "$rc" -eq 0
check "install-ssh-key: without instance.ssh_key, the key goes to craftctl's per-stack path" \
  cmp -s "$key" "$tmp/deploykey"
check "install-ssh-key: the private key is 0600" test "$(mode "$key")" = 600
check "install-ssh-key: its folder is 0700" test "$(mode "$(dirname "$key")")" = 700
check "install-ssh-key: .pub is the key's public half" \
  test "$(cut -d' ' -f1,2 "$key.pub")" = "$(cut -d' ' -f1,2 "$tmp/deploykey.pub")"
if ! grep -q -e "PRIVATE KEY" -e "$(sed -n 2p "$tmp/deploykey")" <<<"$out"; then
  ok "install-ssh-key: the key is never printed"
else
  bad "install-ssh-key: the key is never printed"
fi
check "install-ssh-key: prints the fingerprint" \
  grep -qF "$(ssh-keygen -l -f "$tmp/deploykey.pub" | cut -d' ' -f2)" <<<"$out"
check "install-ssh-key: leaves no temporary file" \
  test "$(find "$(dirname "$key")" -name '.deploy-key*' | wc -l)" -eq 0

out=$(HOME=$home XDG_CONFIG_HOME='' DEPLOY_SSH_KEY=$(cat "$tmp/deploykey") \
  "$scripts/install-ssh-key.sh" "$tmp/craftctl.yaml" 2>&1)
check "install-ssh-key: the same key again is fine" test $? -eq 0
HOME=$home XDG_CONFIG_HOME='' DEPLOY_SSH_KEY=$(cat "$tmp/otherkey") \
  "$scripts/install-ssh-key.sh" "$tmp/craftctl.yaml" > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && cmp -s "$key" "$tmp/deploykey" && grep -q "::error" "$tmp/out"; then
  ok "install-ssh-key: a different key is refused, not overwritten"
else
  bad "install-ssh-key: a different key is refused, not overwritten"
fi

home=$tmp/home2
mkdir -p "$home"
HOME=$home DEPLOY_SSH_KEY=$(cat "$tmp/deploykey") \
  "$scripts/install-ssh-key.sh" "$tmp/withkey.yaml" > /dev/null 2>&1
if cmp -s "$home/.ssh/craftctl_deploy" "$tmp/deploykey" && [ "$(stat -c %a "$home/.ssh/craftctl_deploy")" = 600 ] && [ -f "$home/.ssh/craftctl_deploy.pub" ]; then
  ok "install-ssh-key: instance.ssh_key ~/... is honoured"
else
  bad "install-ssh-key: instance.ssh_key ~/... is honoured"
fi

home=$tmp/home3
mkdir -p "$home"
HOME=$home XDG_CONFIG_HOME=$tmp/xdg DEPLOY_SSH_KEY="$(cat "$tmp/deploykey")"$'\r' \
  "$scripts/install-ssh-key.sh" "$tmp/craftctl.yaml" > /dev/null 2>&1
check "install-ssh-key: XDG_CONFIG_HOME is honoured, CRs are dropped" \
  cmp -s "$tmp/xdg/craftctl/demo-stack/id_ed25519" "$tmp/deploykey"
home=$tmp/home4
mkdir -p "$home"
(cd "$tmp" && HOME=$home XDG_CONFIG_HOME=relative DEPLOY_SSH_KEY="$(cat "$tmp/deploykey")" \
  "$scripts/install-ssh-key.sh" "$tmp/craftctl.yaml" > /dev/null 2>&1)
check "install-ssh-key: a relative XDG_CONFIG_HOME is ignored, as craftctl does" \
  cmp -s "$home/.config/craftctl/demo-stack/id_ed25519" "$tmp/deploykey"

HOME=$home DEPLOY_SSH_KEY='' "$scripts/install-ssh-key.sh" "$tmp/withkey.yaml" > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q "^::error.*DEPLOY_SSH_KEY" "$tmp/out"; then
  ok "install-ssh-key: an empty secret is an error annotation, exit 2"
else
  bad "install-ssh-key: an empty secret is an error annotation, exit 2"
fi
HOME=$home DEPLOY_SSH_KEY=$(cat "$tmp/encrypted") "$scripts/install-ssh-key.sh" "$tmp/withkey.yaml" > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q "^::error.*not an unencrypted" "$tmp/out" && [ ! -e "$home/.ssh/craftctl_deploy" ]; then
  ok "install-ssh-key: a passphrase-protected key is refused"
else
  bad "install-ssh-key: a passphrase-protected key is refused"
fi
HOME=$home DEPLOY_SSH_KEY='not a key' "$scripts/install-ssh-key.sh" "$tmp/withkey.yaml" > /dev/null 2>&1
check "install-ssh-key: garbage is refused" test $? -eq 2

# ---- confirm-stack.sh
"$scripts/confirm-stack.sh" "$tmp/craftctl.yaml" demo-stack > /dev/null 2>&1
check "confirm-stack: the right name passes" test $? -eq 0
out=$("$scripts/confirm-stack.sh" "$tmp/craftctl.yaml" demo 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^::error.*nothing was destroyed" <<<"$out"; then
  ok "confirm-stack: a wrong name stops with an error annotation"
else
  bad "confirm-stack: a wrong name stops with an error annotation"
fi
"$scripts/confirm-stack.sh" "$tmp/craftctl.yaml" " demo-stack" > /dev/null 2>&1
check "confirm-stack: the name must match exactly" test $? -eq 1
"$scripts/confirm-stack.sh" "$tmp/missing.yaml" demo-stack > /dev/null 2>&1
check "confirm-stack: a missing stack file exits 2" test $? -eq 2
printf 'stack: "quoted-name"  # c\nregion: x\n' > "$tmp/quoted.yaml"
"$scripts/confirm-stack.sh" "$tmp/quoted.yaml" quoted-name > /dev/null 2>&1
check "confirm-stack: a quoted name with a comment is read" test $? -eq 0
printf 'stack: one\nstack: two\n' > "$tmp/twice.yaml"
"$scripts/confirm-stack.sh" "$tmp/twice.yaml" one > /dev/null 2>&1
check "confirm-stack: two stack: lines are refused" test $? -eq 2
printf 'instance:\n  stack: nested\n' > "$tmp/nested.yaml"
"$scripts/confirm-stack.sh" "$tmp/nested.yaml" nested > /dev/null 2>&1
check "confirm-stack: a nested stack: key is not the stack name" test $? -eq 2
printf 'stack: Bad_Name\n' > "$tmp/badname.yaml"
"$scripts/confirm-stack.sh" "$tmp/badname.yaml" Bad_Name > /dev/null 2>&1
check "confirm-stack: an invalid stack name is refused" test $? -eq 2
"$scripts/confirm-stack.sh" craftctl.yaml "$("$scripts/stack-info.py" craftctl.yaml stack)" > /dev/null 2>&1
check "confirm-stack agrees with a YAML parser on the repository's craftctl.yaml" test $? -eq 0

# ---- summary.py
cat > "$tmp/up.jsonl" <<'EOF2'
::group::provision
{"event":"phase_begin","phase":"provision"}
{"event":"resource","action":"create","kind":"vpc","name":"main","id":"vpc-0abc","elapsed_ms":812}
{"event":"resource","action":"create","kind":"subnet","name":"public-a","id":"subnet-1","elapsed_ms":300}
{"event":"resource","action":"keep","kind":"key_pair","name":"deploy","id":"key-1"}
{"event":"phase_end","phase":"provision","elapsed_ms":41200,"status":"ok"}
::endgroup::
{"event":"log","level":"warn","message":"ssh_from auto: 203.0.113.7/32"}
{"event":"phase_end","phase":"deploy","elapsed_ms":93400,"status":"ok"}
{"event":"result","message":"up complete","url":"http://203.0.113.10/","release":"20261129-1940-abc123","previous":"20261128-0900-0def12","instance_id":"i-0123","public_ip":"203.0.113.10","elapsed_ms":134600,"step_upload_ms":1200,"step_build_ms":80000}
EOF2
GITHUB_STEP_SUMMARY=$tmp/summary.md GITHUB_OUTPUT=$tmp/output \
  "$scripts/summary.py" --title "deploy craftctl.yaml" --outcome success "$tmp/up.jsonl"
check "summary: exit 0" test $? -eq 0
check "summary: title and outcome" grep -q '^### ✅ deploy craftctl.yaml: success' "$tmp/summary.md"
check "summary: the URL as a link" grep -qF '| url | [http://203.0.113.10/](http://203.0.113.10/) |' "$tmp/summary.md"
check "summary: the release" grep -qF '| release | 20261129-1940-abc123 |' "$tmp/summary.md"
check "summary: the previous release and the total time" \
  grep -qzF $'| previous | 20261128-0900-0def12 |\n| time | 134.6 s |' "$tmp/summary.md"
if ! grep -q step_ "$tmp/summary.md"; then
  ok "summary: per-step times are not repeated as outputs"
else
  bad "summary: per-step times are not repeated as outputs"
fi
if grep -qF "| provision | 41.2 s | ok |" "$tmp/summary.md" && grep -qF "| deploy | 93.4 s | ok |" "$tmp/summary.md"; then
  ok "summary: each phase's time"
else
  bad "summary: each phase's time"
fi
check "summary: resource actions counted" grep -qF 'Resources: 2 create, 1 keep.' "$tmp/summary.md"
check "summary: warnings listed" grep -qF -- '- **warn**: ssh_from auto' "$tmp/summary.md"
if grep -qx "url=http://203.0.113.10/" "$tmp/output" && grep -qx "release=20261129-1940-abc123" "$tmp/output" && grep -qx "status=success" "$tmp/output"; then
  ok "summary: url, release and status outputs"
else
  bad "summary: url, release and status outputs"
fi

cat > "$tmp/fail.jsonl" <<'EOF2'
{"event":"phase_end","phase":"provision","elapsed_ms":5000,"status":"failed"}
{"event":"error","error":"aws","message":"UnauthorizedOperation: not allowed | to RunInstances","aws_code":"UnauthorizedOperation","request_id":"req-1","exit_status":1}
EOF2
GITHUB_STEP_SUMMARY=$tmp/fail.md GITHUB_OUTPUT=$tmp/fail.out \
  "$scripts/summary.py" --title "deploy x" --outcome failure "$tmp/fail.jsonl"
if grep -q "^### ❌ deploy x: failure" "$tmp/fail.md" && grep -qF "UnauthorizedOperation: not allowed \\| to RunInstances (AWS UnauthorizedOperation, request req-1)" "$tmp/fail.md"; then
  ok "summary of a failure: the error with its AWS code, pipes escaped"
else
  bad "summary of a failure: the error with its AWS code, pipes escaped"
fi
GITHUB_STEP_SUMMARY=$tmp/none.md "$scripts/summary.py" --outcome failure "$tmp/does-not-exist.jsonl"
check "summary without events says so" grep -q 'printed no events' "$tmp/none.md"

# ---- notify.py, against a listener on 127.0.0.1
pl_hook_start "$tmp" || bad "notify: the webhook listener did not start"
pids+=("$HOOK_PID")
out=$(DEPLOY_WEBHOOK_URL="$HOOK_URL" OUTCOME=success DEPLOY_URL=http://203.0.113.10/ \
  RELEASE=r1 STACK_FILE=craftctl.yaml GITHUB_REPOSITORY=acme/shop GITHUB_RUN_ID=42 \
  GITHUB_SERVER_URL=https://github.com "$scripts/notify.py" 2>&1)
check "notify: posts JSON with the outcome, URL, release and run link ($out)" \
  /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ctype, _, body = lines[0].partition(" ")
assert len(lines) == 1 and ctype == "application/json", lines
b = json.loads(body)
assert b["outcome"] == "success" and b["url"] == "http://203.0.113.10/" and b["release"] == "r1"
assert b["run_url"] == "https://github.com/acme/shop/actions/runs/42"
assert b["text"].startswith("deploy of acme/shop (craftctl.yaml): success"), b["text"]
' "$tmp/hook.jsonl"
rm -f "$tmp/hook.jsonl"
out=$(DEPLOY_WEBHOOK_URL='' OUTCOME=failure "$scripts/notify.py" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$tmp/hook.jsonl" ] && grep -q "no DEPLOY_WEBHOOK_URL" <<<"$out"; then
  ok "notify: no secret, no request, exit 0"
else
  bad "notify: no secret, no request, exit 0"
fi
out=$(DEPLOY_WEBHOOK_URL="${HOOK_URL%/hook}/fail" OUTCOME=failure "$scripts/notify.py" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && grep -q "^::warning.*HTTP 500" <<<"$out" && ! grep -q "127.0.0.1" <<<"$out"; then
  ok "notify: a failing webhook is a warning, not a failure, and the URL is not shown"
else
  bad "notify: a failing webhook is a warning, not a failure, and the URL is not shown"
fi

# ---- compose-env.sh
printf 'POSTGRES_DB=app\nPOSTGRES_PASSWORD=\nDJANGO_SECRET_KEY=change-me-django-secret-key\n# comment\nDJANGO_ALLOWED_HOSTS=\nAPI_TOKEN=set\n' > "$tmp/env.example"
"$scripts/compose-env.sh" "$tmp/env.example" > "$tmp/env1"
"$scripts/compose-env.sh" "$tmp/env.example" > "$tmp/env2"
if grep -qx "POSTGRES_DB=app" "$tmp/env1" && grep -qE "^POSTGRES_PASSWORD=[0-9a-f]{48}$" "$tmp/env1" && grep -qE "^DJANGO_SECRET_KEY=[0-9a-f]{48}$" "$tmp/env1" && grep -qx "DJANGO_ALLOWED_HOSTS=" "$tmp/env1" && grep -qx "API_TOKEN=set" "$tmp/env1" && grep -qx "# comment" "$tmp/env1"; then
  ok "compose-env: empty and change-me secrets get random values, the rest is copied"
else
  bad "compose-env: empty and change-me secrets get random values, the rest is copied"
fi
if ! cmp -s "$tmp/env1" "$tmp/env2"; then
  ok "compose-env: fresh values each run"
else
  bad "compose-env: fresh values each run"
fi

if [ -f .env.example ]; then
  "$scripts/compose-env.sh" .env.example > "$tmp/real.env"
  if ! grep -qiE '^[a-z_0-9]+=.*change-me' "$tmp/real.env" && grep -qE '^POSTGRES_PASSWORD=[0-9a-f]{48}$' "$tmp/real.env" \
    && grep -qE '^DJANGO_SECRET_KEY=[0-9a-f]{48}$' "$tmp/real.env"; then
    ok "compose-env: the repository's .env.example leaves no placeholder secret"
  else
    bad "compose-env: placeholders left from .env.example: $(grep -iE '^[a-z_0-9]+=.*change-me' "$tmp/real.env")"
  fi
fi

# ---- sigv4-suite.sh, on a copy of the suite this tree is tested with
if [ -d ../shared/sigv4-suite/v4 ]; then
  mkdir -p "$tmp/aws-c-auth/tests/aws-signing-test-suite"
  cp -R ../shared/sigv4-suite/v4 "$tmp/aws-c-auth/tests/aws-signing-test-suite/v4"
  chmod -R u+w "$tmp/aws-c-auth"
  cp -R "$tmp/aws-c-auth" "$tmp/aws-c-auth-changed"
  out=$("$scripts/sigv4-suite.sh" "$tmp/aws-c-auth" "$tmp/shared" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ] && diff -r ../shared/sigv4-suite/v4 "$tmp/shared/sigv4-suite/v4" > /dev/null &&
    [ ! -e "$tmp/aws-c-auth" ]; then
    ok "sigv4-suite: the expected suite is laid out in SHARED/sigv4-suite/v4, the checkout removed"
  else
    bad "sigv4-suite: exit $rc: $out"
  fi
  printf 'x' >> "$tmp/aws-c-auth-changed/tests/aws-signing-test-suite/v4/get-vanilla/request.txt"
  out=$("$scripts/sigv4-suite.sh" "$tmp/aws-c-auth-changed" "$tmp/shared2" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] && grep -q '^::error.*not the one the tests expect' <<<"$out" && [ ! -e "$tmp/shared2" ]; then
    ok "sigv4-suite: a changed suite is refused"
  else
    bad "sigv4-suite: a changed suite: exit $rc: $out"
  fi
else
  echo "PEND sigv4-suite: no ../shared/sigv4-suite/v4 beside this tree to test with"
fi

echo "scripts-test: $pass ok, $fail failed"
[ "$fail" -eq 0 ]
