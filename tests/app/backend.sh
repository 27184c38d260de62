#!/usr/bin/env bash
# Django's test runner for app/backend against a private, real PostgreSQL.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/lib.sh"
trap app_cleanup EXIT
app_tmpdir
app_pg_start || { echo "0 passed, 1 failed"; exit 1; }

export DJANGO_SECRET_KEY=test-only-$RANDOM-$RANDOM-not-a-real-secret-key-0123456789
export DJANGO_DEBUG=0 RELEASE_ID=test
log=$APP_TMP/backend-tests.log
cd "$root/app/backend" || exit 1
/usr/bin/python3 -W error::RuntimeWarning manage.py test --noinput -v 2 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

app_unittest_summary "$log" "$status"
