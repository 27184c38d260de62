# shellcheck shell=bash
# Helpers shared by the app test scripts: free ports, a private PostgreSQL
# cluster, and stopping what we started by PID. Source it; call app_cleanup
# from an EXIT trap.

APP_PIDS=()
APP_TMP=""

app_tmpdir() {
  APP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-app.XXXXXX")
  # PostgreSQL runs as the postgres user when we are root; it must reach in.
  chmod 755 "$APP_TMP"
}

# shellcheck source=tests/lib/sandbox.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.sh"

# A TCP port that was free a moment ago on 127.0.0.1 (app_free_port_not
# PORT...: none of PORTs).
app_free_port() { sandbox_free_port; }
app_free_port_not() { sandbox_free_port "$@"; }

# Wait until FILE has a line matching REGEX, up to SECONDS (default 30).
app_wait_line() {
  local file=$1 regex=$2 limit=${3:-30} i
  for ((i = 0; i < limit * 10; i++)); do
    grep -qE -- "$regex" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timeout waiting for /$regex/ in $file" >&2
  return 1
}

# Wait until url answers with any HTTP status (curl exit 0), up to $2 seconds.
app_wait_http() {
  local url=$1 limit=${2:-30} i=0
  while ! curl -s -o /dev/null --max-time 2 "$url"; do
    i=$((i + 1))
    if [ "$i" -gt $((limit * 5)) ]; then
      echo "timeout waiting for $url" >&2
      return 1
    fi
    sleep 0.2
  done
}

app_pg_bindir() {
  local d found=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && found=$d
  done
  if [ -n "$found" ]; then
    echo "$found"
    return 0
  fi
  echo "postgresql server binaries not found (install postgresql)" >&2
  return 1
}

# Starts a private cluster under $APP_TMP/pg listening on 127.0.0.1:$PG_PORT
# and a unix socket in $APP_TMP/pg/sock, with a password-protected superuser.
# Exports POSTGRES_HOST/PORT/DB/USER/PASSWORD for Django.
app_pg_start() {
  local bindir run=() pgroot=$APP_TMP/pg
  bindir=$(app_pg_bindir) || return 1
  mkdir -p "$pgroot/sock"
  export POSTGRES_HOST=127.0.0.1 POSTGRES_DB=app POSTGRES_USER=app
  POSTGRES_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  export POSTGRES_PASSWORD
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pgroot/pwfile"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$pgroot"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$pgroot/data" -U app --pwfile="$pgroot/pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --no-sync \
    > "$pgroot/initdb.log" 2>&1 || { cat "$pgroot/initdb.log" >&2; return 1; }
  rm -f "$pgroot/pwfile"
  # The port is chosen right before the server binds it, and another one is
  # tried if someone took it meanwhile (other suites run at the same time).
  local attempt
  for attempt in 1 2 3; do
    PG_PORT=$(app_free_port)
    "${run[@]}" "$bindir/pg_ctl" -D "$pgroot/data" -l "$pgroot/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $pgroot/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start > /dev/null && break
    [ "$attempt" -lt 3 ] && grep -q 'could not bind' "$pgroot/server.log" && continue
    cat "$pgroot/server.log" >&2
    return 1
  done
  export POSTGRES_PORT=$PG_PORT
  PG_PID=$(head -n 1 "$pgroot/data/postmaster.pid")
  APP_PIDS+=("$PG_PID")
  PGPASSWORD=$POSTGRES_PASSWORD "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U app -d postgres \
    -qAtc "CREATE DATABASE app" > /dev/null || return 1
}

# PostgreSQL goes down the way a crash or a restart looks to its clients:
# fast shutdown (SIGINT) closes their sessions at once; TERM would wait
# for the backend's pooled connections to go away first.
app_pg_stop() {
  app_stop_pid "$PG_PID" INT
}

# Stops one PID: SIGNAL (default TERM), wait up to 10 s, then KILL.
app_stop_pid() {
  local pid=$1 i=0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 100 ]; then
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
}

app_cleanup() {
  local i
  for ((i = ${#APP_PIDS[@]} - 1; i >= 0; i--)); do
    app_stop_pid "${APP_PIDS[$i]}"
  done
  APP_PIDS=()
  if [ -n "$APP_TMP" ] && [ -z "${APP_KEEP_TMP:-}" ]; then
    rm -rf "$APP_TMP"
  fi
}

# Prints "N passed, N failed" from a Python unittest/Django log and returns
# non-zero when the run failed. Usage: app_unittest_summary LOG STATUS
app_unittest_summary() {
  local log=$1 status=$2 ran failures errors failed
  ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' "$log" | tail -n 1)
  failures=$(sed -n 's/^FAILED (.*failures=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  errors=$(sed -n 's/^FAILED (.*errors=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  failed=$((${failures:-0} + ${errors:-0}))
  if [ -z "$ran" ]; then
    ran=0
    [ "$failed" -gt 0 ] || failed=1
  fi
  [ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
  echo "$((ran - failed < 0 ? 0 : ran - failed)) passed, $failed failed"
  [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
}
