#!/usr/bin/env bash
# Deploying to the stack's provisioned instance, against the AWS simulator
# with --ssh-instances (each instance is a real sshd on 127.0.x.y that
# prints cloud-init's host key blocks on its console) and a real dockerd.
#
# The first connection is verified against the fingerprints on the
# instance's console (GetConsoleOutput), then the key is pinned in the
# state cache and as the instance's tag craftctl:host-key; a runner with no
# local state verifies against the tag; a pinned key that does not match
# stops the deploy before anything runs. `up` (provision + deploy).
# Checks are single-quoted strings run by `check ... eval`:
# shellcheck disable=SC2016,SC2034
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
bin=${CRAFTCTL:-build/craftctl}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# shellcheck source=tests/deploy/lib.sh
. tests/deploy/lib.sh

cleanup() {
  sandbox_stop_pid "$SIM_PID"
  env_stop
}
trap cleanup EXIT

ENV_TMP=$(mktemp -d /tmp/craftctl-deploy.XXXXXX)
chmod 755 "$ENV_TMP"
dockerd_start || give_up "cannot start dockerd"
export CRAFTCTL_REMOTE_ROOT=$ENV_TMP/remote
# data volumes are mounted here, not under /var/lib (env_stop unmounts them)
export CRAFTCTL_REMOTE_DATA_ROOT=$ENV_TMP/data
export CRAFTCTL_REMOTE_DOCKER_HOST=$DOCKER_HOST

# A private AWS environment: the simulator's credentials only.
export HOME=$ENV_TMP/home XDG_STATE_HOME=$ENV_TMP/state XDG_CONFIG_HOME=$ENV_TMP/config
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2 \
  AWS_REGION AWS_DEFAULT_REGION GITHUB_ACTIONS SSH_AUTH_SOCK
export AWS_ACCESS_KEY_ID=AKIDDEPLOYTEST AWS_SECRET_ACCESS_KEY=deploy-test-secret AWS_REGION=us-east-2
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$ENV_TMP/none AWS_SHARED_CREDENTIALS_FILE=$ENV_TMP/none
mkdir -p "$HOME"
SSH_PORT=$(free_port)
# (It waits for botocore's models to load, up to 30 s on a busy machine.)
sandbox_sim_start "$ENV_TMP" --access-key "$AWS_ACCESS_KEY_ID" \
  --secret-key "$AWS_SECRET_ACCESS_KEY" --boot-seconds 1 --terminate-seconds 1 \
  --ssh-instances --ssh-port "$SSH_PORT" || give_up "the AWS simulator did not start"
EP=$SIM_URL
export CRAFTCTL_CHECKIP_URL=$EP/_awssim/checkip

# The instance's sshd listens on SSH_PORT of its own 127.x address, not yet.
HP=$(free_port_not "$SSH_PORT")
APP=$ENV_TMP/app
stage_demo "$APP" "$HP"
# A full stack file: the instance logs in as this machine's user on the
# simulator's sshd port.
sed -i "s/^stack: demo$/stack: dinst\nregion: us-east-2\ninstance:\n  ssh_user: $(id -un)\n  ssh_port: $SSH_PORT/" "$APP/craftctl.yaml"
CC=("$bin" --endpoint-url "$EP" -c "$APP/craftctl.yaml")
cc() { "${CC[@]}" "$@"; }
tag_key() {
  cc api ec2 DescribeTags Filter.1.Name=key Filter.1.Value.1=craftctl:host-key 2>/dev/null |
    sed -n 's:.*<value>\(.*\)</value>.*:\1:p'
}

run provision provision --json
ADDR=$(sed -n 's/.*"event":"result".*"public_ip":"\([^"]*\)".*/\1/p' "$OUT")
check "provision against the simulator gives the instance an address" \
  eval '[ "$RC" -eq 0 ] && [[ "$ADDR" == 127.* ]]'
# The web server listens on the instance's (loopback) address only.
sed -i "s/^    HTTP_ADDR: .*/    HTTP_ADDR: \"$ADDR\"/" "$APP/craftctl.yaml"

run first-deploy deploy --health-timeout 30 --connect-timeout 60
R1=$(sed -n 's/^deploy complete: release \([^ ]*\) .*/\1/p' "$OUT")
check "deploy to the instance (no --host) serves the release" \
  eval '[ "$RC" -eq 0 ] && curl -s --max-time 2 "http://$ADDR:$HP/" | grep -q "id=\"release\">$R1<"'
check "the first connection was checked against the console's keys" \
  eval 'out_has "first connection to i-[0-9a-f]+: expecting a host key from its console: SHA256:"'
check "the host key was pinned in the state cache and as a tag" \
  eval 'out_has "pinned host key SHA256:.* \(state cache and tag craftctl:host-key\)" && [ -n "$(tag_key)" ] && grep -rqs "host_key" "$XDG_STATE_HOME"'
SECRET=$(sed -n 's/^DEMO_SECRET=//p' "$CRAFTCTL_REMOTE_ROOT/dinst/shared/.env")
check "the generated secret stays on the host: not in the state cache, config or output" \
  eval '[ ${#SECRET} -ge 32 ] && ! grep -rqsF "$SECRET" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$HOME" "$OUT"'

run logs logs --tail 5 web </dev/null
check "logs (no --host) reads the instance's current release" eval '[ "$RC" -eq 0 ] && out_has "serving release $R1"'
run ssh ssh -- echo on-the-instance </dev/null
check "ssh -- CMD (no --host) runs on the instance" eval '[ "$RC" -eq 0 ] && grep -qx on-the-instance "$OUT"'

# A CI runner: no local state, the tag alone verifies the instance.
rm -rf "$XDG_STATE_HOME"
sleep 1.1
run tag-deploy deploy --health-timeout 30
check "with no local state the pinned tag verifies the host" \
  eval '[ "$RC" -eq 0 ] && ! out_has "expecting a host key from its console"'

# The data volume: the named volume demo-data lives on it (the simulator
# stands a directory, named by the volume id, in for the disk) and follows
# the volume when the instance is replaced or changes type.
datadir() { cc ssh -- 'readlink -f "$AWSSIM_DEVICE_DIR/sdf"' </dev/null 2>/dev/null; }
VOLDIR=$(datadir)
check "the named volume demo-data lives on the data volume ($VOLDIR)" \
  eval '[[ "$VOLDIR" == */volumes/vol-* ]] && [ -s "$VOLDIR/volumes/demo-data/starts" ] && [ -s "$CRAFTCTL_REMOTE_ROOT/dinst/shared/data.yml" ]'
echo planted >"$VOLDIR/volumes/demo-data/planted"
MARK=$(cat "$VOLDIR/.craftctl-data")
STARTS=$(wc -l <"$VOLDIR/volumes/demo-data/starts")
IID=$(sed -n 's/.*"instance_id":"\([^"]*\)".*/\1/p' "$ENV_TMP/out.provision")
sed -i "s/^instance:$/instance:\n  image: ubuntu-22.04/" "$APP/craftctl.yaml"
run replace provision --replace
run replaced-deploy deploy --health-timeout 30 --connect-timeout 60
NEWDIR=$(datadir)
check "provision --replace (a new image) moves the data volume to the new instance; its files are there and in use" \
  eval '[ "$RC" -eq 0 ] && grep -q "^  replaced *instance *server *$IID" "$ENV_TMP/out.replace" && [ "$NEWDIR" = "$VOLDIR" ] && [ "$(cat "$VOLDIR/volumes/demo-data/planted")" = planted ] && [ "$(wc -l <"$VOLDIR/volumes/demo-data/starts")" -gt "$STARTS" ]'
check "the data volume was not formatted again" eval '[ "$(cat "$VOLDIR/.craftctl-data")" = "$MARK" ] && ! out_has "^formatted"'
STARTS=$(wc -l <"$VOLDIR/volumes/demo-data/starts")
calls0=$(/usr/bin/python3 tests/engine/simcheck.py "$EP" ncalls)
sed -i "s/^instance:$/instance:\n  type: t3.large/" "$APP/craftctl.yaml"
t0=$(date +%s%N)
run retype provision
T_RETYPE=$(( ($(date +%s%N) - t0) / 1000000 ))
calls=$(/usr/bin/python3 tests/engine/simcheck.py "$EP" mutations "$calls0")
run retyped-deploy deploy --health-timeout 30
check "a new instance type is applied in place (no RunInstances) and the data stays" \
  eval '[ "$RC" -eq 0 ] && [ "$calls" = "StopInstances ModifyInstanceAttribute StartInstances" ] && [ "$(cat "$VOLDIR/volumes/demo-data/planted")" = planted ] && [ "$(wc -l <"$VOLDIR/volumes/demo-data/starts")" -gt "$STARTS" ]'

# Backups: taken, listed, kept to backups.keep (never another stack's or
# an untagged snapshot), and restored onto a new volume.
snaps() { /usr/bin/python3 tests/engine/simcheck.py "$EP" snapshots "$1"; }
t0=$(date +%s%N)
run backup backup
T_BACKUP=$(( ($(date +%s%N) - t0) / 1000000 ))
B1=$(sed -n 's/^backup \(snap-[0-9a-f]*\) of .*/\1/p' "$OUT")
check "backup snapshots the data volume and waits until it is complete" \
  eval '[ "$RC" -eq 0 ] && [ -n "$B1" ] && out_has "^backup $B1 of vol-[0-9a-f]+: completed" && snaps dinst | grep -q "^$B1 .* backup$"'
run backups backups
check "backups lists it with its size and why it was taken" eval '[ "$RC" -eq 0 ] && out_has "^$B1 .* completed +manual"'
rm "$VOLDIR/volumes/demo-data/planted"
t0=$(date +%s%N)
run restore restore latest --health-timeout 30
T_RESTORE=$(( ($(date +%s%N) - t0) / 1000000 ))
RESTORED=$(datadir)
check "restore latest puts the backup's files back on a new volume and the release serves again" \
  eval '[ "$RC" -eq 0 ] && [ "$RESTORED" != "$VOLDIR" ] && [ "$(cat "$RESTORED/volumes/demo-data/planted" 2>/dev/null)" = planted ] && out_has "^restore complete: release " && curl -s --max-time 2 "http://$ADDR:$HP/" | grep -q "id=\"release\">"'
prev() { # the stack's data-previous volumes that are not being deleted
  cc api ec2 DescribeVolumes Filter.1.Name=tag:craftctl:resource Filter.1.Value.1=data-previous \
    Filter.2.Name=status Filter.2.Value.1=available Filter.2.Value.2=in-use 2>/dev/null | grep -o "<volumeId>" | wc -l
}
check "the replaced volume is kept (data-previous) until the next deploy" eval '[ "$(prev)" -eq 1 ]'
run after-restore deploy --health-timeout 30
check "the next deploy takes a backup before its release and deletes the previous volume" \
  eval '[ "$RC" -eq 0 ] && out_has "^backup snap-[0-9a-f]+ of data volume vol-[0-9a-f]+ taken before the release" && [ "$(prev)" -eq 0 ]'
# another stack's snapshot, and one without tags
OTHER=$(cc api ec2 CreateSnapshot VolumeId="${RESTORED##*/}" TagSpecification.1.ResourceType=snapshot \
  TagSpecification.1.Tag.1.Key=craftctl:stack TagSpecification.1.Tag.1.Value=someone-else \
  TagSpecification.1.Tag.2.Key=craftctl:resource TagSpecification.1.Tag.2.Value=backup 2>/dev/null |
  sed -n 's:.*<snapshotId>\(.*\)</snapshotId>.*:\1:p')
UNTAGGED=$(cc api ec2 CreateSnapshot VolumeId="${RESTORED##*/}" 2>/dev/null | sed -n 's:.*<snapshotId>\(.*\)</snapshotId>.*:\1:p')
calls0=$(/usr/bin/python3 tests/engine/simcheck.py "$EP" ncalls)
run restore-other restore "$OTHER"
calls=$(/usr/bin/python3 tests/engine/simcheck.py "$EP" mutations "$calls0")
check "restoring another stack's snapshot is refused (exit 2), nothing changed" \
  eval '[ -n "$OTHER" ] && [ "$RC" -eq 2 ] && out_has "is not a backup of stack .dinst." && [ -z "$calls" ]'
sed -i "s/^stack: dinst$/stack: dinst\nbackups: { keep: 2 }/" "$APP/craftctl.yaml"
for i in 1 2 3; do cc backup >/dev/null 2>&1; done
nb=$(snaps dinst | grep -c " backup$")
check "retention keeps exactly backups.keep of the stack's backups; another stack's and an untagged one stay" \
  eval '[ "$nb" -eq 2 ] && cc api ec2 DescribeSnapshots SnapshotId.1="$OTHER" SnapshotId.2="$UNTAGGED" 2>/dev/null | grep -o "<snapshotId>" | wc -l | grep -qx 2'
curl -s -X POST -d '{"latency_ms": 1500}' "$EP/_awssim/faults" >/dev/null
"${CC[@]}" backup >/dev/null 2>&1 &
BG=$!
for _ in $(seq 100); do grep -qs "^pid $BG, " "$XDG_STATE_HOME/craftctl/dinst.lock" && break; sleep 0.1; done
run restore-locked restore latest
wait "$BG"
curl -s -X POST -d '{"latency_ms": 0}' "$EP/_awssim/faults" >/dev/null
check "restore while another run holds the stack's lock: exit 3, naming the holder" eval '[ "$RC" -eq 3 ] && out_has "pid $BG"'

# SIGKILL at seeded moments of a restore: the re-run converges, the data
# volume (resource=data) is one, attached to the instance, with the data.
datavols() { # the stack's live data volumes, "id attached-instance" each
  cc api ec2 DescribeVolumes Filter.1.Name=tag:craftctl:stack Filter.1.Value.1=dinst \
    Filter.2.Name=tag:craftctl:resource Filter.2.Value.1=data \
    Filter.3.Name=status Filter.3.Value.1=available Filter.3.Value.2=in-use Filter.3.Value.3=creating 2>/dev/null |
    /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
for v in ET.fromstring(sys.stdin.read()).iter(ns + "volumeSet"):
    for item in v.findall(ns + "item"):
        att = item.find(ns + "attachmentSet/" + ns + "item/" + ns + "instanceId")
        print(item.find(ns + "volumeId").text, att.text if att is not None else "-")'
}
KILLS=${INSTANCE_KILLS:-4}
killed_ok=0
for k in $(seq "$KILLS"); do
  delay=$(( (k * 7919) % 40 ))   # 0.0 .. 3.9 s into the restore
  "${CC[@]}" restore latest --health-timeout 30 >"$ENV_TMP/out.kill$k" 2>&1 &
  pid=$!
  sleep "$((delay / 10)).$((delay % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  run "rerun$k" restore latest --health-timeout 60
  inst=$(/usr/bin/python3 tests/engine/simcheck.py "$EP" instance dinst InstanceId)
  dv=$(datavols)
  dir=$(datadir)
  if [ "$RC" -eq 0 ] && [ "$(wc -l <<<"$dv")" -eq 1 ] && [ "${dv#* }" = "$inst" ] &&
    [ "$(cat "$dir/volumes/demo-data/planted" 2>/dev/null)" = planted ] && ! out_has "^formatted"; then
    killed_ok=$((killed_ok + 1))
  else
    echo "  kill $k at ${delay}00 ms: rc $RC, data volumes '$dv', instance $inst, dir $dir"
    tail -5 "$OUT"
  fi
done
check "restore killed at $KILLS seeded moments: each re-run converged (one data volume, on the instance, its data there, nothing formatted)" \
  eval '[ "$killed_ok" -eq "$KILLS" ]'

# A pinned key that is not the instance's: refused before anything runs.
ssh-keygen -q -t ed25519 -N '' -f "$ENV_TMP/other_host_key"
cc api ec2 CreateTags ResourceId.1="$(/usr/bin/python3 tests/engine/simcheck.py "$EP" instance dinst InstanceId)" \
  Tag.1.Key=craftctl:host-key "Tag.1.Value=$(cut -d' ' -f1,2 "$ENV_TMP/other_host_key.pub")" >/dev/null 2>&1
rm -rf "$XDG_STATE_HOME"
before=$(find "$CRAFTCTL_REMOTE_ROOT/dinst/releases" -mindepth 1 -maxdepth 1 | wc -l)
run mismatch deploy --health-timeout 30
check "a pinned key that does not match stops the deploy (exit 1, expected vs seen)" \
  eval '[ "$RC" -eq 1 ] && out_has "host key mismatch for $ADDR port $SSH_PORT: expected SHA256:.*but the server showed SHA256:"'
check "nothing was uploaded after the mismatch" \
  eval '[ "$(find "$CRAFTCTL_REMOTE_ROOT/dinst/releases" -mindepth 1 -maxdepth 1 | wc -l)" -eq "$before" ]'

# `up` on a second stack: provision + deploy in one command.
APP2=$ENV_TMP/app2
HP2=$(free_port_not "$SSH_PORT" "$HP")
# Its address is only known once provisioned: listen on every address
# (a free high port; all traffic still goes to loopback addresses).
stage_demo "$APP2" "$HP2" 0.0.0.0
sed -i "s/^stack: demo$/stack: dup\nregion: us-east-2\nnetwork:\n  cidr: 10.30.0.0\/16\ninstance:\n  ssh_user: $(id -un)\n  ssh_port: $SSH_PORT/" "$APP2/craftctl.yaml"
OUT=$ENV_TMP/out.up
"$bin" --endpoint-url "$EP" -c "$APP2/craftctl.yaml" up --yes --json --health-timeout 30 >"$OUT" 2>&1
RC=$?
check "up provisions, verifies the new instance's host key and deploys" \
  eval '[ "$RC" -eq 0 ] && out_has "expecting a host key from its console" && out_has "^deploy complete: release"'
check "up --json ends with one result: instance_id, public_ip, release, url" \
  eval 'grep "^{\"event\":\"result\"" "$OUT" | tail -1 | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if r[\"instance_id\"].startswith(\"i-\") and r[\"public_ip\"].startswith(\"127.\") and r[\"release\"] and r[\"url\"].startswith(\"http://\" + r[\"public_ip\"]) else 1)"'
"$bin" --endpoint-url "$EP" -c "$APP2/craftctl.yaml" destroy --yes >/dev/null 2>&1

run destroy destroy --yes --delete-backups
check "destroy --delete-backups keeps one final snapshot, no backup and no volume" \
  eval '[ "$RC" -eq 0 ] && [ "$(snaps dinst | grep -c " final-snapshot$")" -eq 1 ] && [ "$(snaps dinst | grep -c " backup$")" -eq 0 ] && [ "$(/usr/bin/python3 tests/engine/simcheck.py "$EP" tagged dinst)" = 0 ]'

echo "  times against the simulator: type change (provision) ${T_RETYPE:-?} ms, backup ${T_BACKUP:-?} ms, restore (with the release restarted and health-checked) ${T_RESTORE:-?} ms"
finish
