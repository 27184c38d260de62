# Shared by the deploy tests and `make demo`: a real OpenSSH sshd on
# loopback (own host keys and config, a free port) and a real dockerd on its
# own socket (no bridge, no iptables), both stopped by PID at the end.
# Source it, then call env_start; env_stop runs from the EXIT trap.
# shellcheck shell=bash

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

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

# ---- dockerd ------------------------------------------------------------------

dockerd_start() {
  local d=$ENV_TMP/docker i
  mkdir -p "$d"
  dockerd --bridge=none --iptables=false --ip-masq=false --data-root "$d/data" \
    --exec-root "$d/exec" --pidfile "$d/docker.pid" --host "unix://$d/docker.sock" \
    >"$ENV_TMP/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST=unix://$d/docker.sock
  for ((i = 0; i < 300; i++)); do
    if docker version >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "dockerd did not start:"
  tail -20 "$ENV_TMP/dockerd.log"
  return 1
}

dockerd_stop() {
  local i ids
  if [ -n "${DOCKERD_PID:-}" ]; then
    ids=$(docker ps -aq 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      docker rm -f $ids >/dev/null 2>&1 || true
    fi
    kill "$DOCKERD_PID" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      kill -0 "$DOCKERD_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=
  fi
}

# ---- the whole environment ------------------------------------------------------

env_stop() {
  sshd_stop
  dockerd_stop
  if [ -n "${ENV_TMP:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
    # dockerd unmounts its layers on exit; anything left mounted stays put.
    grep -o " $ENV_TMP/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do
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
