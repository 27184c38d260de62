# Shared by the deploy tests and `make demo`: a real OpenSSH sshd on
# loopback (own host keys and config, a free port) and a real dockerd on its
# own socket (no bridge, no iptables), both stopped by PID at the end.
# Source it, then call env_start; env_stop runs from the EXIT trap.
# shellcheck shell=bash

# ---- counted checks: every suite prints "N passed, N failed" last --------------

pass=0
fail=0
ok() {
  pass=$((pass + 1))
  echo "ok   $1"
}
# A failure shows the tail of $OUT (the last command's output) and whatever
# the suite's optional bad_detail function adds.
bad() {
  fail=$((fail + 1))
  echo "FAIL $1"
  if [ -n "${OUT:-}" ] && [ -f "$OUT" ]; then
    sed 's/^/     | /' "$OUT" | tail -25
  fi
  if declare -F bad_detail >/dev/null; then bad_detail; fi
}
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
finish() { # the closing line; the suite's exit status
  echo
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
give_up() { # give_up WHY: a suite that cannot even start counts one failure
  echo "FAIL $1"
  echo "$pass passed, $((fail + 1)) failed"
  exit 1
}

out_has() { grep -qE -- "$1" "$OUT"; }
out_has_f() { grep -qF -- "$1" "$OUT"; } # fixed text (fingerprints hold '+' and '/')

# run NAME ARGS...: "${CC[@]}" ARGS (the suite sets CC, craftctl and its
# common options) with the output in $OUT and the exit status in $RC.
run() {
  OUT=$ENV_TMP/out.$1
  shift
  "${CC[@]}" "$@" >"$OUT" 2>&1
  # shellcheck disable=SC2034 # read by the suites
  RC=$?
}

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches (default 60 s).
wait_for() {
  local i
  for ((i = 0; i < ${3:-60} * 10; i++)); do
    grep -qE -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_for_file PATH [SECONDS]: until PATH exists (default 60 s).
wait_for_file() {
  local i
  for ((i = 0; i < ${2:-60} * 10; i++)); do
    [ -e "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- ports and processes ------------------------------------------------------------

# A port free on 127.0.0.1 a moment ago (free_port_not PORT...: none of
# PORTs); sandbox_free_port, from tests/lib/sandbox.sh sourced below.
free_port() { sandbox_free_port; }
free_port_not() { sandbox_free_port "$@"; }

wait_port() { # wait_port PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if /usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# The children of a process (by PID), for stopping sshd's per-connection
# processes too.
child_pids() {
  ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

kill_tree() { # kill_tree PID [SIGNAL]
  local pid=$1 sig=${2:-TERM} c
  for c in $(child_pids "$pid"); do kill_tree "$c" "$sig"; done
  kill "-$sig" "$pid" 2>/dev/null || true
}

# Kills sshd itself: the listener and its per-connection sshd processes,
# not the commands they run (those lose their connection and stdin, as on
# a real server whose sshd dies).
kill_sshd_tree() { # kill_sshd_tree PID SIGNAL
  local pid=$1 sig=$2 c
  for c in $(child_pids "$pid"); do
    if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sshd ]; then kill_sshd_tree "$c" "$sig"; fi
  done
  kill "-$sig" "$pid" 2>/dev/null || true
}

# ---- sshd -------------------------------------------------------------------

sshd_setup() { # makes host keys, a user key, the config; sets SSH_PORT
  local d=$ENV_TMP/sshd
  mkdir -p "$d"
  chmod 755 "$d" # authorized_keys is read as the login user (the sudo test)
  ssh-keygen -q -t ed25519 -N '' -C host-ed25519 -f "$d/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -N '' -C host-ecdsa -f "$d/ssh_host_ecdsa_key"
  ssh-keygen -q -t rsa -b 2048 -N '' -C host-rsa -f "$d/ssh_host_rsa_key"
  ssh-keygen -q -t ed25519 -N '' -C deploy-user -f "$ENV_TMP/id_ed25519"
  cp "$ENV_TMP/id_ed25519.pub" "$d/authorized_keys"
  chmod 644 "$d/authorized_keys"
  SSH_PORT=$(free_port)
  cat >"$d/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/ssh_host_ed25519_key
HostKey $d/ssh_host_ecdsa_key
HostKey $d/ssh_host_rsa_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp internal-sftp
LogLevel VERBOSE
MaxStartups 50
CFG
  mkdir -p /run/sshd
}

sshd_start() {
  /usr/sbin/sshd -D -e -f "$ENV_TMP/sshd/sshd_config" 2>>"$ENV_TMP/sshd.log" &
  SSHD_PID=$!
  wait_port "$SSH_PORT" 10 || { echo "sshd did not start:"; tail -20 "$ENV_TMP/sshd.log"; return 1; }
}

sshd_stop() {
  if [ -n "${SSHD_PID:-}" ]; then
    kill_tree "$SSHD_PID" TERM
    wait "$SSHD_PID" 2>/dev/null || true
    SSHD_PID=
  fi
}

# ---- dockerd (tests/lib/sandbox.sh starts and stops it) -------------------------------

# shellcheck source=tests/lib/sandbox.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.sh"

dockerd_start() { # a private engine under $ENV_TMP/docker; exports DOCKER_HOST
  if ! sandbox_dockerd_start "$ENV_TMP/docker"; then
    echo "dockerd did not start"
    return 1
  fi
  export DOCKER_HOST=$DOCKERD_HOST
}

dockerd_stop() {
  if [ -n "${DOCKERD_PID:-}" ]; then
    # (|| true: under set -e, as in demo.sh, a kill of an engine that is
    # already gone must not end the caller's EXIT trap with status 1.)
    sandbox_dockerd_stop "$ENV_TMP/docker" "$DOCKERD_PID" || true
    DOCKERD_PID=
  fi
}

# ---- the whole environment ------------------------------------------------------

env_stop() {
  sshd_stop
  dockerd_stop
  if [ -n "${ENV_TMP:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
    # dockerd unmounts its layers on exit; anything left mounted stays put.
    # (grep finds nothing when all is unmounted: not a failure under set -e.)
    { grep -o " $ENV_TMP/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do
      umount "$m" 2>/dev/null || true
    done
    rm -rf "$ENV_TMP" 2>/dev/null || true
  fi
}

env_start() {
  ENV_TMP=$(mktemp -d /tmp/craftctl-deploy.XXXXXX)
  chmod 755 "$ENV_TMP"
  sshd_setup
  sshd_start
  dockerd_start
  export CRAFTCTL_REMOTE_ROOT=$ENV_TMP/remote
  export CRAFTCTL_REMOTE_DATA_ROOT=$ENV_TMP/data
  export CRAFTCTL_REMOTE_DOCKER_HOST=$DOCKER_HOST
}

# stage_demo DIR HTTP_PORT [HTTP_ADDR]: the demo stack with busybox copied
# in, serving on HTTP_ADDR (default 127.0.0.1: loopback only).
stage_demo() {
  local dir=$1 port=$2 addr=${3:-127.0.0.1} src
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../examples/demo" && pwd)
  mkdir -p "$dir"
  cp -a "$src/." "$dir/"
  cp /bin/busybox "$dir/web/busybox"
  sed -i "s/^  http_port: .*/  http_port: $port/; s/^    HTTP_PORT: .*/    HTTP_PORT: \"$port\"\n    HTTP_ADDR: \"$addr\"/" "$dir/craftctl.yaml"
}
