#!/usr/bin/env bash
# Runs smoke.sh (what ci.yml runs through Nginx against the compose stack)
# against the real backend on this machine: Debian's Django under gunicorn
# on a private PostgreSQL (tests/app/lib.sh), on 127.0.0.1. Also checks
# that smoke.sh fails against a port where nothing answers. Prints ok/FAIL
# lines and a count.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

if [ ! -f tests/app/lib.sh ] || [ ! -f app/backend/manage.py ]; then
  echo "PEND smoke-local: the app (app/backend, tests/app/lib.sh) is not in this tree"
  exit 0
fi
# shellcheck source=tests/app/lib.sh
. tests/app/lib.sh
trap app_cleanup EXIT
app_tmpdir
if ! app_pg_start; then
  bad "smoke-local: cannot start PostgreSQL"
  echo "smoke-local: $pass ok, $fail failed"
  exit 1
fi
DJANGO_SECRET_KEY="smoke-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export DJANGO_SECRET_KEY DJANGO_DEBUG=0 RELEASE_ID=smoke-local
cd "$root/app/backend" || exit 1
if ! /usr/bin/python3 manage.py migrate --noinput > "$APP_TMP/migrate.log" 2>&1; then
  bad "smoke-local: migrate: $(tail -5 "$APP_TMP/migrate.log")"
  echo "smoke-local: $pass ok, $fail failed"
  exit 1
fi
port=$(app_free_port)
/usr/bin/python3 -m gunicorn.app.wsgiapp --bind "127.0.0.1:$port" --workers 1 craftapp.wsgi \
  > "$APP_TMP/gunicorn.log" 2>&1 &
APP_PIDS+=($!)
cd "$root" || exit 1
if ! app_wait_http "http://127.0.0.1:$port/api/health" 30; then
  bad "smoke-local: gunicorn did not answer: $(tail -5 "$APP_TMP/gunicorn.log")"
  echo "smoke-local: $pass ok, $fail failed"
  exit 1
fi

out=$(SMOKE_FRONTEND=0 tests/pipeline/smoke.sh "http://127.0.0.1:$port/" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    | /'
if [ "$rc" -eq 0 ] && grep -q '^6 passed, 0 failed$' <<<"$out"; then
  ok "smoke.sh passes all 6 checks against the real backend"
else
  bad "smoke.sh against the real backend: exit $rc"
fi

closed=$(app_free_port)
out=$(SMOKE_TRIES=1 SMOKE_FRONTEND=0 tests/pipeline/smoke.sh "http://127.0.0.1:$closed" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q '^0 passed, 6 failed$' <<<"$out"; then
  ok "smoke.sh fails every check when nothing answers"
else
  bad "smoke.sh against a closed port: exit $rc: $out"
fi
echo "smoke-local: $pass ok, $fail failed"
[ "$fail" -eq 0 ]
