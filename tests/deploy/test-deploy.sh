#!/usr/bin/env bash
# The deploy suite: craftctl against a real OpenSSH sshd on loopback and a
# real dockerd (own socket, no bridge, no iptables), deploying the offline
# demo stack (busybox-static FROM scratch, network_mode: host).
#
# What a deploy must do: a deploy serves the release; a changed
# release replaces it; a release whose healthcheck never passes is rolled
# back (previous still served, exit 1); a host-key mismatch is refused
# before any upload or command; a wrong user key gives a clear
# authentication error; sshd killed mid-deploy gives exit 1 and the next
# deploy completes; two deploys at once: the second exits 3; the secrets
# file keeps mode 0600 and its content. Also measures failed requests during
# a redeploy (a client polling every 50 ms) and the per-step wall times.
# Checks are written as single-quoted strings run by `check ... eval`, so
# they expand when they run:
# shellcheck disable=SC2016,SC2034
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${CRAFTCTL:-build/craftctl}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# shellcheck source=tests/deploy/lib.sh
. tests/deploy/lib.sh

BG_PIDS=()
cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  env_stop
}
trap cleanup EXIT

env_start || give_up "cannot start sshd and dockerd for the deploy tests"
HP=$(free_port)
APP=$ENV_TMP/app
stage_demo "$APP" "$HP"
export HOME=$ENV_TMP/home
mkdir -p "$HOME/.ssh"
unset SSH_AUTH_SOCK CRAFTCTL_SSH_PASSPHRASE
# Bundles are made in TMPDIR: none may be left behind.
export TMPDIR=$ENV_TMP/tmp
mkdir -p "$TMPDIR"
KEY=$ENV_TMP/id_ed25519
RROOT=$CRAFTCTL_REMOTE_ROOT
BASE=$RROOT/demo
URL=http://127.0.0.1:$HP
HOSTFP=$(ssh-keygen -lf "$ENV_TMP/sshd/ssh_host_ed25519_key.pub" | awk '{print $2}')
ME=$(id -un)
TARGET=(--host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -i "$KEY")

CC=("$bin" -c "$APP/craftctl.yaml")
# script(1) gives the terminal tests a pseudo-terminal (bsdutils, in deps/deploy.txt).
command -v script >/dev/null 2>&1 || give_up "script(1) is missing: make deps installs bsdutils"
deploy() { # deploy NAME [EXTRA ARGS...]
  local name=$1
  shift
  run "$name" deploy "${TARGET[@]}" --health-timeout 30 "$@"
}
released() { sed -n 's/^deploy complete: release \([^ ]*\) .*/\1/p' "$OUT" | tail -1; }
page_release() { curl -s --max-time 2 "$URL/" | sed -n 's/.*id="release">\([^<]*\)<.*/\1/p'; }
accepted_logins() { grep -c 'Accepted publickey' "$ENV_TMP/sshd.log" || true; }
secrets_sum() { sha256sum "$BASE/shared/.env" | awk '{print $1}'; }
secrets_mode() { stat -c %a "$BASE/shared/.env"; }
set_greeting() { sed -i "s/^    GREETING: .*/    GREETING: $1/" "$APP/craftctl.yaml"; }
new_second() { sleep 1.1; } # release ids carry the time to the second
bg_deploy() { # bg_deploy NAME: a deploy in the background; BG_PID, output in $ENV_TMP/out.NAME
  "${CC[@]}" deploy "${TARGET[@]}" --health-timeout 30 >"$ENV_TMP/out.$1" 2>&1 &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
}

# ---- host keys and authentication: refused before anything runs -----------------

logins=$(accepted_logins)
deploy unknown-host
check "unknown host is refused (exit 1, says how to accept it)" \
  eval '[ "$RC" -eq 1 ] && out_has "unknown host key for 127.0.0.1 port $SSH_PORT: SHA256:.*--accept-new-host-key"'
check "unknown host: nothing uploaded or run" eval '[ ! -e "$RROOT" ] && [ "$(accepted_logins)" -eq "$logins" ]'

ssh-keygen -q -t ed25519 -N '' -f "$ENV_TMP/other_key"
OTHERFP=$(ssh-keygen -lf "$ENV_TMP/other_key.pub" | awk '{print $2}')
deploy wrong-fp --host-key "$OTHERFP"
check "--host-key mismatch is refused naming expected and seen keys" \
  eval '[ "$RC" -eq 1 ] && out_has_f "host key mismatch for 127.0.0.1 port $SSH_PORT: expected $OTHERFP, but the server showed $HOSTFP"'
check "--host-key mismatch: nothing uploaded or run" eval '[ ! -e "$RROOT" ] && [ "$(accepted_logins)" -eq "$logins" ]'

printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$ENV_TMP/other_key.pub")" >"$HOME/.ssh/known_hosts"
deploy known-mismatch
check "known_hosts mismatch is refused before login" \
  eval '[ "$RC" -eq 1 ] && out_has "host key mismatch for 127.0.0.1 port $SSH_PORT: .* expects" && out_has_f "expects $OTHERFP (ssh-ed25519), but the server showed $HOSTFP" && [ ! -e "$RROOT" ] && [ "$(accepted_logins)" -eq "$logins" ]'
rm -f "$HOME/.ssh/known_hosts"

run wrong-user-key deploy --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" \
  -i "$ENV_TMP/other_key" --host-key "$HOSTFP"
check "wrong user key gives a clear authentication error" \
  eval '[ "$RC" -eq 1 ] && out_has "authentication failed for .*@127.0.0.1 port $SSH_PORT: the server refused key" && [ ! -e "$RROOT" ]'

# ---- first deploy, then a changed release -------------------------------------------

deploy first --accept-new-host-key
R1=$(released)
check "first deploy succeeds" eval '[ "$RC" -eq 0 ] && [ -n "$R1" ]'
check "the page serves the first release" eval '[ "$(page_release)" = "$R1" ]'
check "health endpoint answers 2xx" eval 'curl -sf --max-time 2 "$URL/api/health" >/dev/null'
check "the remote steps' output is shown, each line prefixed with its step" \
  eval 'out_has "^  \[extract\] release $R1 unpacked" && out_has "^  \[build\] " && out_has "^  \[wait\] every service is healthy"'
check "the new host key was recorded in known_hosts" \
  eval 'grep -q "^\[127.0.0.1\]:$SSH_PORT ssh-" "$HOME/.ssh/known_hosts"'
check "secrets are generated into the container, never printed" \
  eval 'curl -s "$URL/" | grep -q "secret: set" && ! grep -qF "$(cut -d= -f2 "$BASE/shared/.env")" "$OUT"'
check "secrets file has mode 0600" eval '[ "$(secrets_mode)" = 600 ]'
check "current points at the first release" eval '[ "$(readlink "$BASE/current")" = "releases/$R1" ]'
check ".dockerignore'd files are not shipped" eval '[ ! -e "$BASE/releases/$R1/web/README.md" ] && [ -f "$BASE/releases/$R1/web/Dockerfile" ]'
check "env_file and bind-mount sources are shipped" eval '[ -f "$BASE/releases/$R1/web.env" ] && [ -f "$BASE/releases/$R1/conf/motd.txt" ]'
REL_ENV=$BASE/releases/$R1/.craftctl-release.env
check "the release's variables: PUBLIC_HOST, HTTP_PORT, deploy.env, RELEASE_ID, RELEASED_AT" \
  eval 'grep -qx "PUBLIC_HOST='"'"'127.0.0.1'"'"'" "$REL_ENV" && grep -qx "RELEASE_ID='"'"'$R1'"'"'" "$REL_ENV" && grep -qx "HTTP_PORT='"'"'$HP'"'"'" "$REL_ENV" && grep -qx "GREETING='"'"'hello from craftctl'"'"'" "$REL_ENV" && grep -qE "^RELEASED_AT='"'"'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'"'"'$" "$REL_ENV"'
check "the release's variables hold no secret" eval '! grep -q DEMO_SECRET "$REL_ENV"'
check "modes are kept in the release" eval '[ -x "$BASE/releases/$R1/web/start.sh" ]'
SECRETS=$(secrets_sum)
STEPS_FIRST=$(sed -n 's/^step times: //p' "$OUT")

# From here on, known_hosts is hashed: craftctl must still find the host.
ssh-keygen -q -H -f "$HOME/.ssh/known_hosts" >/dev/null 2>&1
rm -f "$HOME/.ssh/known_hosts.old"
check "known_hosts is hashed now" eval 'grep -q "^|1|" "$HOME/.ssh/known_hosts" && ! grep -q 127.0.0.1 "$HOME/.ssh/known_hosts"'

new_second
set_greeting "second release"
STOP=$ENV_TMP/poll.stop
/usr/bin/python3 tests/deploy/poll.py "$URL/" "$STOP" 50 >"$ENV_TMP/poll.json" &
POLL_PID=$!
BG_PIDS+=("$POLL_PID")
sleep 0.5
deploy second
R2=$(released)
# The poller stops once it has seen the new release itself (or 10 s later).
echo "$R2" >"$STOP.tmp"
mv "$STOP.tmp" "$STOP"
wait "$POLL_PID"
check "a changed release replaces it (hashed known_hosts)" \
  eval '[ "$RC" -eq 0 ] && [ "$(page_release)" = "$R2" ] && [ "$R2" != "$R1" ] && curl -s "$URL/" | grep -q "second release"'
POLL=$(cat "$ENV_TMP/poll.json")
check "the poller saw the old release, then the new one" \
  eval '/usr/bin/python3 -c "import json,sys; r=json.loads(sys.argv[1])[\"releases\"]; sys.exit(0 if r[-2:]==[sys.argv[2],sys.argv[3]] else 1)" "$POLL" "$R1" "$R2"'
STEPS_REDEPLOY=$(sed -n 's/^step times: //p' "$OUT")
check "secrets file unchanged by a redeploy" eval '[ "$(secrets_sum)" = "$SECRETS" ] && [ "$(secrets_mode)" = 600 ]'

# ---- a release that never gets healthy is rolled back -----------------------------------

new_second
cp "$APP/craftctl.yaml" "$APP/craftctl.yaml.good"
set_greeting "broken release"
sed -i 's/^  env:$/  env:\n    BREAK_HEALTH: "1"/' "$APP/craftctl.yaml"
deploy unhealthy --health-timeout 20
check "an unhealthy release exits 1 and says it rolled back" \
  eval '[ "$RC" -eq 1 ] && out_has "rolled back to $R2, which is healthy"'
check "the unhealthy release's ps and last log lines are shown" \
  eval 'out_has "\[diagnose\] --- ps of stack demo" && out_has "\[diagnose\] --- last 50 log lines of web"'
check "after the rollback the previous release is served" \
  eval '[ "$(page_release)" = "$R2" ] && curl -sf --max-time 2 "$URL/api/health" >/dev/null'
check "current still points at the previous release" eval '[ "$(readlink "$BASE/current")" = "releases/$R2" ]'
mv "$APP/craftctl.yaml.good" "$APP/craftctl.yaml"

# ---- two deploys at once -------------------------------------------------------------------

new_second
set_greeting "concurrent release"
bg_deploy concurrent-a
A_PID=$BG_PID
wait_for_file "$BASE/lock/release"
# A holds the host's lock; stopped there, it cannot finish (and let go of
# the lock) before B, however slow B's connection is.
kill -STOP "$A_PID"
deploy concurrent-b
kill -CONT "$A_PID"
check "a second deploy while one runs exits 3 naming the holder" \
  eval '[ "$RC" -eq 3 ] && out_has "is locked: another deploy runs there \(held by .*@.* pid $A_PID"'
wait "$A_PID"
A_RC=$?
OUT=$ENV_TMP/out.concurrent-a
RA=$(released)
check "the first of the two deploys completes" eval '[ "$A_RC" -eq 0 ] && [ "$(page_release)" = "$RA" ]'
check "the lock is gone after the deploy" eval '[ ! -e "$BASE/lock" ]'

# ---- Ctrl-C in the middle of a deploy -------------------------------------------------------------

new_second
set_greeting "interrupted by the user"
bg_deploy sigint
I_PID=$BG_PID
wait_for "$ENV_TMP/out.sigint" '^==> build'
kill -INT "$I_PID"
wait "$I_PID"
I_RC=$?
OUT=$ENV_TMP/out.sigint
check "SIGINT mid-deploy: exit 130, the host's lock given back" \
  eval '[ "$I_RC" -eq 130 ] && out_has "^craftctl: interrupted" && [ ! -e "$BASE/lock" ]'
check "the interrupted release did not become current" eval '[ "$(readlink "$BASE/current")" = "releases/$RA" ]'

# ---- sshd killed in the middle of a deploy ---------------------------------------------------

new_second
set_greeting "interrupted release"
bg_deploy killed
K_PID=$BG_PID
wait_for "$ENV_TMP/out.killed" '^==> build'
kill_sshd_tree "$SSHD_PID" KILL
{ wait "$SSHD_PID"; } 2>/dev/null
wait "$K_PID"
K_RC=$?
OUT=$ENV_TMP/out.killed
check "sshd killed mid-deploy: exit 1 with a lost-connection error" \
  eval '[ "$K_RC" -eq 1 ] && out_has "connection to 127.0.0.1 port $SSH_PORT lost"'
sshd_start
new_second
set_greeting "after the crash"
deploy after-kill
RK=$(released)
check "the next deploy after the crash completes" \
  eval '[ "$RC" -eq 0 ] && [ "$(page_release)" = "$RK" ] && curl -s "$URL/" | grep -q "after the crash"'

# ---- a stale lock: --force-unlock -------------------------------------------------------------

sleep 0.1 &
DEAD_PID=$!
wait "$DEAD_PID"
mkdir "$BASE/lock"
echo "$DEAD_PID" >"$BASE/lock/pid"
echo "crashed@elsewhere pid $DEAD_PID" >"$BASE/lock/holder"
date +%s >"$BASE/lock/time"
new_second
deploy stale-lock
RS=$(released)
check "a lock whose holder process is gone is broken without --force-unlock" \
  eval '[ "$RC" -eq 0 ] && out_has "breaking a stale lock of crashed@elsewhere" && [ "$(page_release)" = "$RS" ]'

sleep 600 &
HOLDER_PID=$!
BG_PIDS+=("$HOLDER_PID")
mkdir "$BASE/lock"
echo "$HOLDER_PID" >"$BASE/lock/pid"
echo "someone@elsewhere pid 42" >"$BASE/lock/holder"
echo $(($(date +%s) - 7200)) >"$BASE/lock/time"
echo "20000101T000000Z" >"$BASE/lock/release"
deploy locked
check "a held lock names its holder and exits 3" eval '[ "$RC" -eq 3 ] && out_has "held by someone@elsewhere pid 42"'
deploy locked-young --force-unlock --lock-timeout 10000
check "--force-unlock refuses a lock younger than --lock-timeout" eval '[ "$RC" -eq 3 ]'
new_second
deploy force-unlock --force-unlock --lock-timeout 3600 --json
RF=$(released)
check "--json ends with a result event carrying release, url (the root), health_url and step times" \
  eval 'grep "^{\"event\":\"result\"" "$OUT" | tail -1 | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if r[\"release\"]==sys.argv[1] and r[\"health_url\"] == r[\"url\"] + \"api/health\" and int(r[\"step_build_ms\"])>0 else 1)" "$RF"'
check "--force-unlock breaks a lock older than --lock-timeout" \
  eval '[ "$RC" -eq 0 ] && out_has "breaking the lock of someone@elsewhere" && [ "$(page_release)" = "$RF" ]'
kill "$HOLDER_PID" 2>/dev/null
wait "$HOLDER_PID" 2>/dev/null

# ---- rollback, retention, volumes, secrets ------------------------------------------------------

deploy rollback --rollback
check "deploy --rollback re-activates the previous healthy release" \
  eval '[ "$RC" -eq 0 ] && [ "$(page_release)" = "$RS" ] && [ "$(readlink "$BASE/current")" = "releases/$RS" ]'
check "the newest 5 releases are kept (the current among them), older ones pruned" \
  eval '[ "$(find "$BASE/releases" -mindepth 1 -maxdepth 1 -type d ! -name "*.tmp" | wc -l)" -eq 5 ] && [ -d "$BASE/releases/$RF" ] && [ -d "$BASE/releases/$RS" ] && [ ! -e "$BASE/releases/$R1" ]'
check "the secrets file has the same content and mode after every deploy" \
  eval '[ "$(secrets_sum)" = "$SECRETS" ] && [ "$(secrets_mode)" = 600 ]'
WEB=$(docker ps -q --filter label=com.docker.compose.project=demo | head -1)
check "the named volume survived every release" \
  eval '[ -n "$WEB" ] && [ "$(docker exec "$WEB" /bin/busybox wc -l /data/starts | /bin/busybox awk "{print \$1}")" -ge 5 ]'

# ---- ssh and logs ---------------------------------------------------------------------------------

run ssh-exit ssh "${TARGET[@]}" -- 'echo hello-from-remote; exit 7' </dev/null
check "ssh -- CMD passes output and the exit status through" \
  eval '[ "$RC" -eq 7 ] && grep -qx hello-from-remote "$OUT"'
# Output arrives while the command runs (the "remote" host is this machine:
# the command waits for a file the test creates once it saw the first line).
GATE=$ENV_TMP/stream.gate
OUT=$ENV_TMP/out.stream
"${CC[@]}" ssh "${TARGET[@]}" -- "echo first-line; echo on-stderr >&2; while [ ! -e $GATE ]; do sleep 0.1; done; echo last-line" \
  </dev/null >"$OUT" 2>&1 &
ST_PID=$!
BG_PIDS+=("$ST_PID")
wait_for "$OUT" '^on-stderr$' 30 && wait_for "$OUT" '^first-line$' 5
ST_LIVE=$?
touch "$GATE"
wait "$ST_PID"
RC=$?
check "ssh -- CMD streams stdout and stderr as they come, before the command ends" \
  eval '[ "$ST_LIVE" -eq 0 ] && [ "$RC" -eq 0 ] && grep -qx last-line "$OUT"'
# An interactive shell on a pseudo-terminal (script(1) provides one).
OUT=$ENV_TMP/out.interactive
printf 'echo interactive-$((6 * 7))\nexit 5\n' |
  script -qec "$(printf '%q ' "$bin" -c "$APP/craftctl.yaml" ssh "${TARGET[@]}")" /dev/null >"$OUT" 2>&1
RC=$?
check "ssh with no command opens an interactive shell and returns its exit status" \
  eval '[ "$RC" -eq 5 ] && grep -q "interactive-42" "$OUT"'
run logs logs "${TARGET[@]}" --tail 20 web </dev/null
check "logs shows the current release's service log" eval '[ "$RC" -eq 0 ] && out_has "serving release $RS"'
# logs -f follows: a line the service writes while it runs arrives; Ctrl-C
# ends it. (Not a restart: compose v1's logs -f ends when the container stops.)
"${CC[@]}" logs "${TARGET[@]}" --tail 1 -f web </dev/null >"$ENV_TMP/out.logs-f" 2>&1 &
LF_PID=$!
BG_PIDS+=("$LF_PID")
wait_for "$ENV_TMP/out.logs-f" "serving release $RS"
MARK=followed-line-$RANDOM$RANDOM
docker exec "$WEB" /bin/busybox sh -c "echo $MARK >/proc/1/fd/1"
wait_for "$ENV_TMP/out.logs-f" "$MARK" 30
kill -INT "$LF_PID" 2>/dev/null
wait "$LF_PID"
LF_RC=$?
OUT=$ENV_TMP/out.logs-f
check "logs -f follows the log (a new line arrives) until Ctrl-C (exit 130)" \
  eval 'out_has "$MARK" && [ "$LF_RC" -eq 130 ]'

# ---- key formats ---------------------------------------------------------------------------------

ssh-keygen -q -t ecdsa -m PEM -N '' -f "$ENV_TMP/key_ecdsa_pem"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$ENV_TMP/key_rsa"
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f "$ENV_TMP/key_rsa_pem"
ssh-keygen -q -t ecdsa -N '' -f "$ENV_TMP/key_ecdsa"
ssh-keygen -q -t ed25519 -N 'sekrit pass' -f "$ENV_TMP/key_ed25519_enc"
for k in key_ecdsa_pem key_rsa key_rsa_pem key_ecdsa key_ed25519_enc; do
  cat "$ENV_TMP/$k.pub" >>"$ENV_TMP/sshd/authorized_keys"
done
for k in key_ecdsa_pem key_ecdsa; do
  run "key-$k" ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/$k" -- true </dev/null
  check "authenticates with $k ($(head -1 "$ENV_TMP/$k" | tr -d -- '-'))" eval '[ "$RC" -eq 0 ]'
done
# libssh2 1.10 signs RSA user keys with ssh-rsa (SHA-1) only, which OpenSSH
# 8.8+ refuses by default: a clear error there, and both RSA formats work
# where the server still accepts ssh-rsa.
run key-rsa-refused ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/key_rsa" -- true </dev/null
check "an RSA key refused by a modern sshd gets an error that says why" \
  eval '[ "$RC" -eq 1 ] && out_has "refused RSA key .*ssh-rsa \(SHA-1\).*use an ed25519 or ECDSA key"'
sshd_stop
echo "PubkeyAcceptedAlgorithms +ssh-rsa" >>"$ENV_TMP/sshd/sshd_config"
sshd_start
for k in key_rsa key_rsa_pem; do
  run "key-$k" ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/$k" -- true </dev/null
  check "authenticates with $k ($(head -1 "$ENV_TMP/$k" | tr -d -- '-')) where ssh-rsa is allowed" eval '[ "$RC" -eq 0 ]'
done
sshd_stop
sed -i '/^PubkeyAcceptedAlgorithms/d' "$ENV_TMP/sshd/sshd_config"
sshd_start
CRAFTCTL_SSH_PASSPHRASE='sekrit pass' run key-enc ssh --host 127.0.0.1 \
  --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/key_ed25519_enc" -- true </dev/null
check "an encrypted OpenSSH key opens with CRAFTCTL_SSH_PASSPHRASE" eval '[ "$RC" -eq 0 ]'
CRAFTCTL_SSH_PASSPHRASE='wrong' run key-enc-wrong ssh --host 127.0.0.1 \
  --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/key_ed25519_enc" -- true </dev/null
check "a wrong passphrase is a clear error" eval '[ "$RC" -eq 1 ] && out_has "cannot use SSH key .*wrong passphrase"'
ssh-keygen -q -t ecdsa -m PEM -N 'pem pass' -f "$ENV_TMP/key_ecdsa_pem_enc"
cat "$ENV_TMP/key_ecdsa_pem_enc.pub" >>"$ENV_TMP/sshd/authorized_keys"
CRAFTCTL_SSH_PASSPHRASE='pem pass' run key-pem-enc ssh --host 127.0.0.1 \
  --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/key_ecdsa_pem_enc" -- true </dev/null
check "an encrypted PEM key (Proc-Type: 4,ENCRYPTED) opens with its passphrase" eval '[ "$RC" -eq 0 ]'
OUT=$ENV_TMP/out.key-enc-prompt
printf 'sekrit pass\n' |
  script -qec "$(printf '%q ' "$bin" -c "$APP/craftctl.yaml" ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/key_ed25519_enc" -- echo prompted-ok)" /dev/null >"$OUT" 2>&1
RC=$?
check "an encrypted key's passphrase is asked on the terminal" \
  eval '[ "$RC" -eq 0 ] && out_has "passphrase for .*key_ed25519_enc" && grep -q prompted-ok "$OUT"'
eval "$(ssh-agent -s)" >/dev/null
BG_PIDS+=("$SSH_AGENT_PID")
ssh-add -q "$ENV_TMP/key_ecdsa" 2>/dev/null
run agent ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -- echo via-agent </dev/null
check "with no key given, the ssh-agent's key is used" eval '[ "$RC" -eq 0 ] && grep -qx via-agent "$OUT"'
kill "$SSH_AGENT_PID" 2>/dev/null
unset SSH_AUTH_SOCK SSH_AGENT_PID
run no-key ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -- true </dev/null
check "no key, no agent: an error that says what was tried" \
  eval '[ "$RC" -eq 1 ] && out_has "authentication failed .*no ssh-agent.*give a key with -i"'
run key-enc-none ssh --host 127.0.0.1 --port "$SSH_PORT" --user "$ME" -i "$ENV_TMP/key_ed25519_enc" -- true </dev/null
check "an encrypted key without a passphrase and no terminal: exit 2 saying so" \
  eval '[ "$RC" -eq 2 ] && out_has "is encrypted: set CRAFTCTL_SSH_PASSPHRASE"'

# ---- keepalives, through a link that drops idle connections (a NAT) -------------------------------

/usr/bin/python3 tests/deploy/idle_proxy.py "$ENV_TMP/proxy.port" "$SSH_PORT" 3 >"$ENV_TMP/proxy.log" 2>&1 &
PX_PID=$!
BG_PIDS+=("$PX_PID")
wait_for_file "$ENV_TMP/proxy.port" 30
PX=(--host 127.0.0.1 --port "$(cat "$ENV_TMP/proxy.port")" --user "$ME" -i "$KEY" --host-key "$HOSTFP")
CRAFTCTL_SSH_KEEPALIVE=1 run keepalive ssh "${PX[@]}" -- 'sleep 5; echo still-connected' </dev/null
check "keepalives (CRAFTCTL_SSH_KEEPALIVE=1) carry a silent 5 s step over a link that drops 3 s of silence" \
  eval '[ "$RC" -eq 0 ] && grep -qx still-connected "$OUT"'
CRAFTCTL_SSH_KEEPALIVE=30 run no-keepalive ssh "${PX[@]}" -- 'sleep 5; echo still-connected' </dev/null
check "without them the same link drops the session (the control)" \
  eval '[ "$RC" -eq 1 ] && ! grep -q still-connected "$OUT" && grep -q "cut a connection" "$ENV_TMP/proxy.log"'
kill "$PX_PID" 2>/dev/null
CRAFTCTL_SSH_KEEPALIVE=0 run keepalive-bad ssh "${PX[@]}" -- true </dev/null
check "a keepalive interval out of range is a usage error (exit 2)" \
  eval '[ "$RC" -eq 2 ] && out_has "CRAFTCTL_SSH_KEEPALIVE must be 1-3600 seconds"'

# ---- an sshd that comes up late (a booting instance) ------------------------------------------------

sshd_stop
OUT=$ENV_TMP/out.late-sshd
"${CC[@]}" ssh "${TARGET[@]}" --connect-timeout 60 -- echo connected-late </dev/null >"$OUT" 2>&1 &
LATE_PID=$!
BG_PIDS+=("$LATE_PID")
# sshd comes up only once craftctl said it is waiting (after 10 s).
wait_for "$OUT" "waiting for ssh on" 30
sshd_start
wait "$LATE_PID"
RC=$?
check "connect retries until sshd answers, with a progress line every 10 s" \
  eval '[ "$RC" -eq 0 ] && out_has "waiting for ssh on 127.0.0.1 port $SSH_PORT" && grep -qx connected-late "$OUT"'

check "no release bundle is left in TMPDIR after any deploy" \
  eval '[ -z "$(find "$TMPDIR" -name "craftctl-bundle-*")" ]'

# ---- figures -----------------------------------------------------------------------------------------

echo
echo "figures:"
echo "  poll during redeploy (every 50 ms): $POLL"
echo "  first deploy step times: $STEPS_FIRST"
echo "  redeploy step times:     $STEPS_REDEPLOY"
finish
