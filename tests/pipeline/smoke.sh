#!/usr/bin/env bash
# Usage: smoke.sh BASE_URL        e.g. smoke.sh http://127.0.0.1:80
# Environment: SMOKE_TRIES (health attempts, 3 s apart, default 10),
# SMOKE_FRONTEND=0 to skip the check that / serves the front end.
# Smoke-tests a running stack the way a user meets it (through Nginx in
# CI): health, register, login, me, plus the refusals that prove auth is
# on (me without a token, login with a wrong password). A fresh random user
# each run, so it can run against a live deployment too.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
if [ $# -ne 1 ]; then
  echo "usage: smoke.sh BASE_URL" >&2
  exit 2
fi
base=${1%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# req METHOD PATH [JSON] [TOKEN]: sets $status and $body (file $tmp/body).
req() {
  local args=(--silent --show-error --max-time 20 -o "$tmp/body" -w '%{http_code}' -X "$1")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  status=$(curl "${args[@]}" "$base$2" 2> "$tmp/err") || status=000
  body=$(cat "$tmp/body" 2> /dev/null || true)
}
# json EXPR: evaluates a Python expression over the last body as `j`.
json() {
  /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$tmp/body" "$1" 2> /dev/null
}

# Health, with a few retries: the stack may have just come up.
for ((try = 1; try <= ${SMOKE_TRIES:-10}; try++)); do
  req GET /api/health
  [ "$status" = 200 ] && break
  [ "$try" -lt "${SMOKE_TRIES:-10}" ] && sleep 3
done
if [ "$status" = 200 ] && [ "$(json 'j["status"]')" = ok ] && [ "$(json 'j["database"]')" = ok ]; then
  ok "GET /api/health: 200, status ok, database ok (release $(json 'j.get("release")'))"
else
  bad "GET /api/health: $status $body $(cat "$tmp/err")"
fi

id=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
email="smoke-$id@example.com"
user="smoke_$id"
password="Sm0ke-$id-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

req POST /api/auth/register "{\"email\":\"$email\",\"username\":\"$user\",\"password\":\"$password\"}"
if [ "$status" = 201 ] && [ "$(json 'j["email"]')" = "$email" ]; then
  ok "POST /api/auth/register: 201 for $email"
else
  bad "POST /api/auth/register: $status $body"
fi

req POST /api/auth/login "{\"email\":\"$email\",\"password\":\"wrong-$password\"}"
if [ "$status" = 401 ]; then
  ok "POST /api/auth/login with a wrong password: 401"
else
  bad "POST /api/auth/login with a wrong password: $status $body"
fi

req POST /api/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}"
token=$(json 'j["token"]')
if [ "$status" = 200 ] && [ -n "$token" ] && [ "$(json 'j["user"]["email"]')" = "$email" ]; then
  ok "POST /api/auth/login: 200 with a token and the user"
else
  bad "POST /api/auth/login: $status $body"
fi

req GET /api/auth/me "" "$token"
if [ "$status" = 200 ] && [ "$(json 'j["email"]')" = "$email" ] && [ "$(json 'j["username"]')" = "$user" ]; then
  ok "GET /api/auth/me with the token: 200, the same user"
else
  bad "GET /api/auth/me with the token: $status $body"
fi

req GET /api/auth/me
if [ "$status" = 401 ]; then
  ok "GET /api/auth/me without a token: 401"
else
  bad "GET /api/auth/me without a token: $status $body"
fi

# The front end, served by Nginx (SMOKE_FRONTEND=0 when testing the API alone).
if [ "${SMOKE_FRONTEND:-1}" = 1 ]; then
  req GET /
  if [ "$status" = 200 ] && grep -qi '<html' "$tmp/body"; then
    ok "GET /: 200, an HTML page"
  else
    bad "GET /: $status $(head -c 200 "$tmp/body" 2> /dev/null)"
  fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
