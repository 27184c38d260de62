# shellcheck shell=bash
# The private services `make demo` and the tests start on this machine, and
# how they are stopped: the AWS simulator (tests/awssim) on a free loopback
# port, and a Docker engine with no bridge and no iptables rules on the host
# network only (docs/contributing.md). Every process is stopped by
# its PID. Safe under `set -euo pipefail`: a stop never fails because what
# it stops is already gone. Source it from the top of the repository:
#   . tests/lib/sandbox.sh

# What the start functions set, for the caller.
# shellcheck disable=SC2034
SIM_PID='' SIM_URL='' DOCKERD_PID='' DOCKERD_HOST=''

# sandbox_stop_pid PID [TENTHS]: SIGTERM, then up to TENTHS tenths of a
# second (default 50) for it to go, then SIGKILL; reaps it if it is ours.
sandbox_stop_pid() {
  local pid=$1 tenths=${2:-50}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 0
}

# sandbox_free_port [PORT...]: a TCP port free on 127.0.0.1 a moment ago,
# none of PORTs (two calls in a row may get the same port when nothing binds
# it in between, so pass the ones already picked).
sandbox_free_port() {
  /usr/bin/python3 -c '
import socket, sys
while True:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if str(port) not in sys.argv[1:]:
        print(port)
        break
' "$@"
}

# sandbox_sim_start DIR ARGS...: starts tests/awssim/awssim on a free port
# with ARGS, its log in DIR/sim.log; sets SIM_PID and SIM_URL. Returns 1
# (the log's tail on stderr) when it does not answer within 30 s.
sandbox_sim_start() {
  local dir=$1
  shift
  rm -f "$dir/sim.port"
  tests/awssim/awssim --port 0 --port-file "$dir/sim.port" "$@" >"$dir/sim.log" 2>&1 &
  SIM_PID=$!
  SIM_URL=
  for _ in $(seq 300); do
    [ -s "$dir/sim.port" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -s "$dir/sim.port" ]; then
    tail -20 "$dir/sim.log" >&2
    return 1
  fi
  SIM_URL=http://127.0.0.1:$(cat "$dir/sim.port")
}

# sandbox_dockerd_start DIR: a private dockerd whose data, exec root,
# pidfile and socket are under DIR (log DIR/dockerd.log); sets DOCKERD_PID
# and DOCKERD_HOST (unix://DIR/docker.sock). Returns 1 (the log's tail on
# stderr) when it does not answer within 60 s.
sandbox_dockerd_start() {
  local dir=$1
  mkdir -p "$dir/docker-data" "$dir/docker-exec" "$dir/docker-tmp"
  # TMPDIR: what the engine drops there (containerd's goroutine dump when
  # dockerd has to kill it on shutdown) goes with DIR, not into /tmp.
  TMPDIR=$dir/docker-tmp dockerd --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    --data-root "$dir/docker-data" --exec-root "$dir/docker-exec" \
    --pidfile "$dir/docker.pid" --host "unix://$dir/docker.sock" >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  DOCKERD_HOST=unix://$dir/docker.sock
  for _ in $(seq 300); do
    DOCKER_HOST=$DOCKERD_HOST docker info >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.2
  done
  tail -20 "$dir/dockerd.log" >&2
  return 1
}

# sandbox_dockerd_stop DIR PID: removes every container of the engine
# started by sandbox_dockerd_start DIR, stops it, and unmounts what it left
# mounted under DIR (so that DIR can be removed).
sandbox_dockerd_stop() {
  local dir=$1 pid=$2
  [ -n "$pid" ] || return 0
  DOCKER_HOST=unix://$dir/docker.sock docker ps -aq 2>/dev/null |
    xargs -r env DOCKER_HOST="unix://$dir/docker.sock" docker rm -f >/dev/null 2>&1 || true
  sandbox_stop_pid "$pid" 150
  grep -o "${dir}[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  return 0
}

# sandbox_compose_purge DOCKER_HOST PROJECT: removes a compose project's
# containers, volumes, networks and built images from an engine the caller
# did not start (so that it is left as it was found).
sandbox_compose_purge() {
  local host=$1 project=$2 label="label=com.docker.compose.project=$2"
  local -a d=(env DOCKER_HOST="$host" docker)
  [ -n "$host" ] || d=(env -u DOCKER_HOST docker)
  "${d[@]}" ps -aq --filter "$label" 2>/dev/null | xargs -r "${d[@]}" rm -f >/dev/null 2>&1 || true
  "${d[@]}" volume ls -q --filter "$label" 2>/dev/null | xargs -r "${d[@]}" volume rm -f >/dev/null 2>&1 || true
  "${d[@]}" network ls -q --filter "$label" 2>/dev/null | xargs -r "${d[@]}" network rm >/dev/null 2>&1 || true
  # Compose v2 names built images PROJECT-SERVICE, v1 PROJECT_SERVICE.
  "${d[@]}" image ls -q --filter "reference=${project}-*" --filter "reference=${project}_*" 2>/dev/null |
    sort -u | xargs -r "${d[@]}" rmi -f >/dev/null 2>&1 || true
  return 0
}

# sandbox_compose_left DOCKER_HOST PROJECT: prints what of a compose
# project an engine still holds (containers, volumes, networks, images).
sandbox_compose_left() {
  local host=$1 project=$2 label="label=com.docker.compose.project=$2"
  local -a d=(env DOCKER_HOST="$host" docker)
  [ -n "$host" ] || d=(env -u DOCKER_HOST docker)
  {
    "${d[@]}" ps -aq --filter "$label" | sed 's/^/container /'
    "${d[@]}" volume ls -q --filter "$label" | sed 's/^/volume /'
    "${d[@]}" network ls -q --filter "$label" | sed 's/^/network /'
    "${d[@]}" image ls --format '{{.Repository}}' --filter "reference=${project}-*" \
      --filter "reference=${project}_*" | sed 's/^/image /'
  } 2>&1
}
