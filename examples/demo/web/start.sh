#!/bin/sh
# Writes the page for this release and serves it with busybox httpd.
set -eu
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin
/bin/busybox --install -s
port=${HTTP_PORT:-8080}
# Where to listen: every address by default (a real server); tests use loopback.
# HTTP_ADDR=PUBLIC_HOST means the address craftctl deployed to (make demo).
addr=${HTTP_ADDR:-0.0.0.0}
if [ "$addr" = PUBLIC_HOST ]; then addr=${PUBLIC_HOST:?PUBLIC_HOST is not set}; fi
mkdir -p /tmp
if [ "$addr" = 0.0.0.0 ]; then echo 127.0.0.1; else echo "$addr"; fi >/tmp/health-addr
rm -rf /www
cp -r /www-template /www
mkdir -p /www/api
secret="unset"
if [ -n "${DEMO_SECRET:-}" ]; then secret="set"; fi
cat >/www/index.html <<HTML
<!doctype html>
<title>${PAGE_TITLE:-demo}</title>
<h1>${GREETING:-hello}</h1>
<p>release: <span id="release">${RELEASE_ID:-unknown}</span></p>
<p>released at: ${RELEASED_AT:-unknown}</p>
<p>secret: ${secret}</p>
<pre>$(cat /conf/motd.txt 2>/dev/null || true)</pre>
HTML
# A release built to fail: no health endpoint, so its healthcheck never passes.
if [ "${BREAK_HEALTH:-0}" != 1 ]; then
	printf '{"status":"ok","release":"%s"}\n' "${RELEASE_ID:-unknown}" >/www/api/health
fi
date >>/data/starts 2>/dev/null || true
echo "serving release ${RELEASE_ID:-unknown} on ${addr}:${port}"
# As PID 1 the server would ignore SIGTERM and make every stop wait for
# Docker's 10 s kill; a shell that forwards it stops at once.
httpd -f -p "${addr}:${port}" -h /www &
pid=$!
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
