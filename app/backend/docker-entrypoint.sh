#!/bin/sh
# Backend start: wait for PostgreSQL, apply migrations, collect static files
# for nginx, then become gunicorn (exec, so signals reach it directly).
# PYTHON and GUNICORN let the end-to-end test run this same script with
# Debian's interpreter outside a container.
set -eu
cd "$(dirname "$0")"
python=${PYTHON:-python}
"$python" manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"
"$python" manage.py migrate --noinput
"$python" manage.py collectstatic --noinput --verbosity 0
exec "${GUNICORN:-gunicorn}" --config gunicorn.conf.py craftapp.wsgi:application
