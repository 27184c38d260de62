#!/usr/bin/env bash
# Deploying as a user who is not root: every remote step runs under
# `sudo -n`. A user whose sudo wants a password gets a clear error before
# anything changes; with passwordless sudo the deploy works and the stack's
# files (the secrets file above all) belong to the deploy user.
#
# Makes a throw-away local user (and its sudoers entry) and removes both at
# the end. Needs root, sudo and useradd.
# Checks are single-quoted strings run by `check ... eval`:
# shellcheck disable=SC2016,SC2034
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${CRAFTCTL:-build/craftctl}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# shellcheck source=tests/deploy/lib.sh
. tests/deploy/lib.sh

if [ "$(id -u)" -ne 0 ] || ! command -v sudo >/dev/null || ! command -v useradd >/dev/null; then
  give_up "this suite needs root, sudo and useradd (make deps installs them)"
fi

DUSER=craftd$$
SUDOERS=/etc/sudoers.d/craftctl-test-$DUSER
cleanup() {
  rm -f "$SUDOERS"
  env_stop
  if id "$DUSER" >/dev/null 2>&1; then
    # Its processes (sshd sessions, the lock keeper) are gone with sshd.
    userdel "$DUSER" 2>/dev/null || true
  fi
}
trap cleanup EXIT

env_start || give_up "cannot start sshd and dockerd"
# "*": no password, yet not locked (sshd refuses locked accounts).
useradd -M -p "*" -d "$ENV_TMP/user-home" -s /bin/sh "$DUSER"
mkdir -p "$ENV_TMP/user-home"
chown "$DUSER" "$ENV_TMP/user-home"
HP=$(free_port)
APP=$ENV_TMP/app
stage_demo "$APP" "$HP"
export HOME=$ENV_TMP/home
mkdir -p "$HOME"
BASE=$CRAFTCTL_REMOTE_ROOT/demo
TARGET=(--host 127.0.0.1 --port "$SSH_PORT" --user "$DUSER" -i "$ENV_TMP/id_ed25519" --accept-new-host-key)
CC=("$bin" -c "$APP/craftctl.yaml")

run no-sudo deploy "${TARGET[@]}" --health-timeout 30
check "a user whose sudo needs a password gets a clear error (exit 1)" \
  eval '[ "$RC" -eq 1 ] && out_has "user '"'"'$DUSER'"'"' on 127.0.0.1 cannot run sudo without a password \(sudo -n: .*\); allow passwordless sudo"'
check "nothing was changed on the host" eval '[ ! -e "$CRAFTCTL_REMOTE_ROOT" ]'

echo "$DUSER ALL=(ALL) NOPASSWD: ALL" >"$SUDOERS"
chmod 0440 "$SUDOERS"
run with-sudo deploy "${TARGET[@]}" --health-timeout 30
R1=$(sed -n 's/^deploy complete: release \([^ ]*\) .*/\1/p' "$OUT")
check "with passwordless sudo the deploy serves the release" \
  eval '[ "$RC" -eq 0 ] && curl -s --max-time 2 "http://127.0.0.1:$HP/" | grep -q "id=\"release\">$R1<"'
check "the secrets file belongs to the deploy user, mode 0600" \
  eval '[ "$(stat -c "%U %a" "$BASE/shared/.env")" = "$DUSER 600" ]'
check "the release belongs to the deploy user" eval '[ "$(stat -c %U "$BASE/releases/$R1")" = "$DUSER" ]'
sleep 1.1
run again deploy "${TARGET[@]}" --health-timeout 30
check "a second deploy as that user works too (lock, upload, prune)" eval '[ "$RC" -eq 0 ] && [ ! -e "$BASE/lock" ]'

finish
