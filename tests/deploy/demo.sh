#!/usr/bin/env bash
# make demo-host: deploys examples/demo to this machine the way it would go to a
# server: over SSH (a private sshd on a free loopback port) into a private
# dockerd, then shows the page, redeploys a changed release, and stops
# everything it started. Needs root (sshd, dockerd).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${CRAFTCTL:-build/craftctl}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# shellcheck source=tests/deploy/lib.sh
. tests/deploy/lib.sh
trap env_stop EXIT
env_start
HP=$(free_port)
APP=$ENV_TMP/demo
stage_demo "$APP" "$HP"
export HOME=$ENV_TMP/home
mkdir -p "$HOME/.ssh"
target=(--host 127.0.0.1 --port "$SSH_PORT" --user "$(id -un)" -i "$ENV_TMP/id_ed25519")

echo "demo: sshd on 127.0.0.1:$SSH_PORT, dockerd on $DOCKER_HOST, remote root $CRAFTCTL_REMOTE_ROOT"
"$bin" -c "$APP/craftctl.yaml" deploy "${target[@]}" --accept-new-host-key
echo
echo "demo: the page at http://127.0.0.1:$HP/"
curl -s "http://127.0.0.1:$HP/"
sleep 1
sed -i 's/^    GREETING: .*/    GREETING: hello again, second release/' "$APP/craftctl.yaml"
"$bin" -c "$APP/craftctl.yaml" deploy "${target[@]}"
echo
curl -s "http://127.0.0.1:$HP/"
"$bin" -c "$APP/craftctl.yaml" logs "${target[@]}" --tail 5 </dev/null
echo "demo: done; stopping sshd and dockerd"
