#!/usr/bin/env bash
# End-to-end without containers, wired like the compose stack:
#   PostgreSQL (private cluster) <- backend (its docker-entrypoint.sh: wait,
#   migrate, collectstatic, gunicorn) <- nginx with app/nginx's main config
#   and rendered templates (the edge) + app/frontend/nginx's server block
#   serving a fresh Vite build (the frontend container) <- headless Chromium.
# Only loopback addresses; every process is stopped by PID on exit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/lib.sh"
trap app_cleanup EXIT

passed=0
failed=0
check() { # check NAME COMMAND...: one counted assertion
  local name=$1
  shift
  if "$@"; then
    echo "ok - $name"
    passed=$((passed + 1))
  else
    echo "not ok - $name"
    failed=$((failed + 1))
  fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
die() {
  echo "e2e: $*" >&2
  failed=$((failed + 1))
  for f in "$APP_TMP"/backend.log "$APP_TMP"/nginx/log/error.log; do
    [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
  done
  finish
}

artifacts=$root/tests/artifacts/app
mkdir -p "$artifacts"
app_tmpdir

# --- node packages: the frontend build and playwright-core ------------------
(cd "$root/app/frontend" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; }) ||
  die "npm ci failed in app/frontend"
(cd "$here/e2e" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/app/e2e"
(cd "$root/app/frontend" && npx vite build --logLevel warn --outDir "$APP_TMP/dist" --emptyOutDir) ||
  die "vite build failed"

# --- PostgreSQL -----------------------------------------------------------
app_pg_start || die "cannot start PostgreSQL"

# --- backend, started exactly like the container --------------------------
RELEASE_ID="e2e-$(date -u +%Y%m%dT%H%M%SZ)-$RANDOM"
export RELEASE_ID RELEASED_AT
RELEASED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
DJANGO_SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '/+=')
export DJANGO_SECRET_KEY DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1
# Port 0: gunicorn binds a free port itself (no window in which another
# process can take it during the migrations) and logs which.
export DJANGO_STATIC_ROOT=$APP_TMP/static GUNICORN_BIND=127.0.0.1:0 WEB_CONCURRENCY=2
export PYTHON=/usr/bin/python3 GUNICORN=/usr/bin/gunicorn
"$root/app/backend/docker-entrypoint.sh" > "$APP_TMP/backend.log" 2>&1 &
APP_PIDS+=("$!")
app_wait_line "$APP_TMP/backend.log" 'Listening at: http://127\.0\.0\.1:[0-9]+' 120 || die "backend did not start"
BACKEND_PORT=$(sed -n 's|.*Listening at: http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$APP_TMP/backend.log" | head -n 1)
app_wait_http "http://127.0.0.1:$BACKEND_PORT/api/health" 60 || die "backend does not answer"

# --- nginx: the edge and the frontend's static server ---------------------
EDGE_PORT=$(app_free_port)
FRONTEND_PORT=$(app_free_port_not "$EDGE_PORT")
ng=$APP_TMP/nginx
mkdir -p "$ng/conf.d" "$ng/log" "$ng/tmp"
rewrite_paths() {
  sed -e "s|\([[:space:]]\)/tmp/|\1$ng/tmp/|g" -e "s|\([[:space:]]\)/etc/nginx/conf.d/|\1$ng/conf.d/|g" \
    -e "s|\([[:space:]]\)/var/log/nginx/|\1$ng/log/|g"
}
rewrite_paths < "$root/app/nginx/nginx.conf" > "$ng/nginx.conf"
# The image's 20-envsubst-on-templates.sh step, with the compose variables
# pointed at loopback.
export NGINX_PORT=127.0.0.1:$EDGE_PORT BACKEND_UPSTREAM=127.0.0.1:$BACKEND_PORT
export FRONTEND_UPSTREAM=127.0.0.1:$FRONTEND_PORT NGINX_RESOLVER=127.0.0.1 STATIC_ROOT=$APP_TMP/static
# shellcheck disable=SC2016 # envsubst takes the variable names literally
vars='${NGINX_PORT} ${BACKEND_UPSTREAM} ${FRONTEND_UPSTREAM} ${NGINX_RESOLVER} ${STATIC_ROOT}'
for t in "$root"/app/nginx/templates/*.template; do
  out=$(basename "$t" .template)
  envsubst "$vars" < "$t" | sed -e "s|\([[:space:]]\)/etc/nginx/conf.d/|\1$ng/conf.d/|g" > "$ng/conf.d/$out"
done
sed -e "s|listen 8080;|listen 127.0.0.1:$FRONTEND_PORT;|" -e "s|root /usr/share/nginx/html;|root $APP_TMP/dist;|" \
  "$root/app/frontend/nginx/default.conf" > "$ng/conf.d/frontend.conf"
# shellcheck disable=SC2016
grep -q '\${' "$ng"/conf.d/*.conf && die "unrendered template variable"
nginx_args=(-p "$ng" -c "$ng/nginx.conf")
# As root, let the workers read the temp tree they are given.
[ "$(id -u)" -ne 0 ] || nginx_args+=(-g "user root;")
check "nginx accepts the app's configuration" /usr/sbin/nginx -t -q "${nginx_args[@]}"
/usr/sbin/nginx "${nginx_args[@]}" -g "daemon off;" &
APP_PIDS+=("$!")
edge=http://127.0.0.1:$EDGE_PORT
app_wait_http "$edge/healthz" 20 || die "nginx did not start"

# --- HTTP checks through the edge -----------------------------------------
body() { curl -s --max-time 10 "$@"; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
header() { # header NAME URL [curl args]: the named header's values, one a line
  local name=$1
  shift
  curl -s -o /dev/null -D - --max-time 10 "$@" | tr -d '\r' | grep -i "^$name:" | cut -d' ' -f2-
}

check "/healthz answers" [ "$(body "$edge/healthz")" = "ok" ]
health=$(body "$edge/api/health")
check "/api/health through nginx keeps the prefix and reports the release" \
  /usr/bin/python3 -c 'import json,sys; b=json.loads(sys.argv[1]); sys.exit(0 if b=={"status":"ok","database":"ok","release":sys.argv[2],"released_at":sys.argv[3]} else 1)' \
  "$health" "$RELEASE_ID" "$RELEASED_AT"
check "/admin/ login page through nginx" sh -c "curl -s --max-time 10 '$edge/admin/login/' | grep -q 'Django administration'"
check "admin static files served by nginx" [ "$(header content-type "$edge/static/admin/css/base.css")" = "text/css" ]
check "missing static file is 404" [ "$(status "$edge/static/admin/css/nope.css")" = 404 ]
check "SPA fallback for a client route" sh -c "curl -s --max-time 10 '$edge/dashboard' | grep -q '<div id=\"root\">'"
check "SPA fallback is served with 200" [ "$(status "$edge/some/deep/route")" = 200 ]
check "a missing build asset is 404, not the app" [ "$(status "$edge/assets/missing-0123abcd.js")" = 404 ]
asset=$(grep -o '/assets/[^"]*\.js' "$APP_TMP/dist/index.html" | head -n 1)
check "gzip on the JavaScript bundle" [ "$(header content-encoding "$edge$asset" -H 'Accept-Encoding: gzip')" = gzip ]
# shellcheck disable=SC2317 # called through check
security_headers_once() { # URL: each security header exactly once
  local h
  for h in x-frame-options x-content-type-options referrer-policy content-security-policy; do
    [ "$(header "$h" "$1" | wc -l)" = 1 ] || { echo "  $h not exactly once on $1" >&2; return 1; }
  done
  [ "$(header x-frame-options "$1")" = DENY ]
}
check "security headers once each on the app" security_headers_once "$edge/"
check "security headers once each on the API" security_headers_once "$edge/api/health"
check "security headers once each on the admin" security_headers_once "$edge/admin/login/"
check "request size limit" [ "$(head -c 11000000 /dev/zero | status -X POST --data-binary @- -H 'Content-Type: application/json' "$edge/api/auth/register")" = 413 ]
check "a Host the backend does not know is refused (400)" [ "$(status -H 'Host: unknown.example' "$edge/api/health")" = 400 ]
check "unknown API path is the backend's JSON 404" [ "$(body "$edge/api/nope")" = '{"detail": "not found"}' ]
body -H 'X-Forwarded-For: 203.0.113.7' -H "Host: localhost:$EDGE_PORT" "$edge/api/health?xff-probe" > /dev/null
# gunicorn writes its access line after the response has gone out.
check "X-Forwarded-For, X-Forwarded-Proto and Host reach the backend" \
  app_wait_line "$APP_TMP/backend.log" "GET /api/health\\?xff-probe HTTP/1.1\" 200 .* host=\"localhost:$EDGE_PORT\" xff=\"203\\.0\\.113\\.7, 127\\.0\\.0\\.1\" proto=\"http\"" 10

# --- an admin account, made the documented way -----------------------------
E2E_ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export E2E_ADMIN_PASSWORD
(cd "$root/app/backend" && DJANGO_SUPERUSER_PASSWORD=$E2E_ADMIN_PASSWORD /usr/bin/python3 manage.py \
  createsuperuser --noinput --username e2e-admin --email e2e-admin@example.com > /dev/null) ||
  die "createsuperuser failed"

# --- the browser ----------------------------------------------------------
export E2E_BASE_URL=$edge E2E_RELEASE_ID=$RELEASE_ID E2E_ARTIFACTS=$artifacts E2E_PROFILE=$APP_TMP/chromium-profile
browser_log=$APP_TMP/browser.log
node "$here/e2e/browser.mjs" 2>&1 | tee "$browser_log"
browser_status=${PIPESTATUS[0]}
bp=$(grep -c '^ok - ' "$browser_log")
bf=$(grep -c '^not ok - ' "$browser_log")
[ "$browser_status" -eq 0 ] || [ "$bf" -gt 0 ] || bf=1
passed=$((passed + bp))
failed=$((failed + bf))

# --- the sign-in budget: 40 bad logins at once meet 429s --------------------
codes=$(seq 40 | xargs -P 40 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X POST \
  -H 'Content-Type: application/json' --data '{"email":"x@example.com","password":"wrong-password"}' \
  "$edge/api/auth/login" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
check "auth endpoints are rate limited per client ($codes)" sh -c "echo '$codes' | grep -q ' 429,' && echo '$codes' | grep -q ' 401,'"

# --- the database went down: health says so quickly -----------------------
app_pg_stop
start=$(date +%s%N)
code=$(status "$edge/api/health")
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "health is 503 through nginx once PostgreSQL stops (${elapsed_ms} ms)" test "$code" = 503 -a "$elapsed_ms" -lt 5000

if [ "$failed" -gt 0 ]; then
  for f in "$APP_TMP/backend.log" "$ng/log/error.log"; do
    [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 30 "$f"; }
  done
fi
echo "screenshots: $artifacts"
finish
