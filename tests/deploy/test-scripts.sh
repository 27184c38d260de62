#!/usr/bin/env bash
# The remote scripts' decisions, run by /bin/sh with stand-ins for the
# commands they drive (apt-get, apt-cache, docker, docker-compose,
# systemctl, cloud-init) on an otherwise empty PATH: what gets installed
# when, waiting for a busy apt, nothing reinstalled when present, and
# cloud-init's exit statuses. (The real thing, with the real docker and
# compose, runs in test-deploy.sh.)
# Checks are single-quoted strings run by `check ... eval`:
# shellcheck disable=SC2016,SC2034
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
# shellcheck source=tests/deploy/lib.sh
. tests/deploy/lib.sh
tmp=$(mktemp -d /tmp/craftctl-scripts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
OUT=$tmp/out
# shellcheck disable=SC2317 # called by bad() in lib.sh
bad_detail() { if [ -f "$tmp/calls" ]; then sed 's/^/     calls: /' "$tmp/calls"; fi; }

# A bin directory with the given stand-ins; each logs "$0 $*" to calls.
setup() {
  rm -rf "${tmp:?}/bin" "${tmp:?}/calls" "${tmp:?}/state"
  mkdir -p "$tmp/bin" "$tmp/state"
  : >"$tmp/calls"
  ln -s /bin/sleep "$tmp/bin/sleep"
  ln -s /bin/cat "$tmp/bin/cat"
}
stub() { # stub NAME BODY: a command that logs its call, then runs BODY
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n%s\n' "$1" "$tmp/calls" "$2" >"$tmp/bin/$1"
  chmod +x "$tmp/bin/$1"
}
docker_stub() { # a docker whose daemon answers once $tmp/state/running exists
  stub docker "case \"\$1\" in
--version) echo 'Docker version 99' ;;
info) [ -e $tmp/state/running ] ;;
compose) [ -e $tmp/state/compose-v2 ] ;;
*) exit 0 ;;
esac"
}
run_script() { # run_script NAME: the template with PATH = the stand-ins only
  env -i PATH="$tmp/bin" CRAFT_APT_RETRY_SECONDS=0 CRAFT_DOCKER_WAIT_SECONDS=3 /bin/sh "$top/templates/$1" >"$tmp/out" 2>&1
  RC=$?
}
calls_are() { [ "$(grep -v '^docker \|^docker-compose ' "$tmp/calls" | tr '\n' ';')" = "$1" ]; }

# -- install-docker.sh -----------------------------------------------------------

setup
docker_stub
touch "$tmp/state/running"
stub docker-compose 'echo 1.29.2'
stub apt-get 'exit 0'
run_script install-docker.sh
check "docker and compose v1 present: nothing installed" \
  eval '[ "$RC" -eq 0 ] && calls_are "" && grep -q "docker present" "$tmp/out"'

setup
docker_stub
touch "$tmp/state/running" "$tmp/state/compose-v2"
stub apt-get 'exit 0'
run_script install-docker.sh
check "docker with the compose v2 plugin: nothing installed" eval '[ "$RC" -eq 0 ] && calls_are ""'

setup
stub apt-cache "case \"\$2\" in docker-compose-v2) exit 0 ;; *) exit 1 ;; esac"
stub apt-get "case \"\$*\" in
*'install -y --no-install-recommends docker.io') /bin/cp $tmp/docker.real $tmp/bin/docker ;;
*docker-compose-v2) /usr/bin/touch $tmp/state/compose-v2 ;;
esac"
stub systemctl "/usr/bin/touch $tmp/state/running"
docker_stub
mv "$tmp/bin/docker" "$tmp/docker.real"
sed -i '/^docker /d' "$tmp/calls"
run_script install-docker.sh
check "nothing present (Ubuntu): docker.io, then docker-compose-v2, then the service" \
  eval '[ "$RC" -eq 0 ] && calls_are "apt-get -q -o DPkg::Lock::Timeout=600 update;apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends docker.io;apt-cache show docker-compose-v2;apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends docker-compose-v2;systemctl enable --now docker;"'

setup
docker_stub
touch "$tmp/state/running"
stub apt-cache "case \"\$2\" in docker-compose) exit 0 ;; *) exit 1 ;; esac"
stub apt-get "case \"\$*\" in *'install -y --no-install-recommends docker-compose') printf '#!/bin/sh\nexit 0\n' >$tmp/bin/docker-compose; /bin/chmod +x $tmp/bin/docker-compose ;; esac"
run_script install-docker.sh
check "docker present, no compose (Debian): only docker-compose (v1) is installed" \
  eval '[ "$RC" -eq 0 ] && calls_are "apt-get -q -o DPkg::Lock::Timeout=600 update;apt-cache show docker-compose-v2;apt-cache show docker-compose-plugin;apt-cache show docker-compose;apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends docker-compose;"'

setup
docker_stub
touch "$tmp/state/running" "$tmp/state/compose-v2"
rm "$tmp/bin/docker"
stub apt-cache 'exit 0'
# The dpkg lock is busy twice (cloud-init still runs apt), then free.
stub apt-get "n=\$(cat $tmp/state/n 2>/dev/null || echo 0); echo \$((n + 1)) >$tmp/state/n
[ \$n -ge 2 ] || { echo 'E: Could not get lock /var/lib/dpkg/lock-frontend' >&2; exit 100; }
case \"\$*\" in *docker.io) /bin/cp $tmp/docker.real $tmp/bin/docker ;; esac"
docker_stub
mv "$tmp/bin/docker" "$tmp/docker.real"
run_script install-docker.sh
check "a busy apt/dpkg lock is waited for, not a failure" \
  eval '[ "$RC" -eq 0 ] && [ "$(grep -c "retrying" "$tmp/out")" -eq 2 ] && grep -q "install -y --no-install-recommends docker.io" "$tmp/calls"'

setup
run_script install-docker.sh
check "no docker and no apt-get: a clear error" \
  eval '[ "$RC" -eq 1 ] && grep -q "has no apt-get: install Docker Engine and Compose by hand" "$tmp/out"'

setup
docker_stub
stub docker-compose 'exit 0'
run_script install-docker.sh
check "an engine that never answers is an error after its wait" \
  eval '[ "$RC" -eq 1 ] && grep -q "the docker engine does not answer" "$tmp/out"'

# -- wait-cloud-init.sh ----------------------------------------------------------------

for case in "0:0:cloud-init done" "2:0:recoverable errors" "1:1:cloud-init failed (status 1)"; do
  IFS=: read -r code want text <<<"$case"
  setup
  stub cloud-init "[ \"\$1\" = status ] && [ \"\$2\" = --wait ] && exit $code; exit 0"
  run_script wait-cloud-init.sh
  check "cloud-init status $code: exit $want ($text)" \
    eval '[ "$RC" -eq "$want" ] && grep -qF "$text" "$tmp/out"'
done
setup
run_script wait-cloud-init.sh
check "no cloud-init: fine" eval '[ "$RC" -eq 0 ] && grep -q "no cloud-init on this host" "$tmp/out"'

# -- deploy-steps.sh: the secrets step, on a scratch remote root ----------------------

secrets_step() { # secrets_step NAMES: the step as craftctl runs it, with the real openssl
  env -i PATH=/usr/bin:/bin CRAFT_ROOT="$tmp/remote" CRAFT_STACK=s CRAFT_STEP=secrets \
    CRAFT_USER="$(id -un)" CRAFT_SECRETS="$1" /bin/sh "$top/templates/deploy-steps.sh" >"$tmp/out" 2>&1
  RC=$?
}
envf=$tmp/remote/s/shared/.env
rm -f "$tmp/calls"
mkdir -p "$tmp/remote/s/shared"
secrets_step ""
check "no deploy.secrets: the secrets file is still created, empty, mode 0600" \
  eval '[ "$RC" -eq 0 ] && [ -f "$envf" ] && [ ! -s "$envf" ] && [ "$(stat -c %a "$envf")" = 600 ]'
secrets_step "A_KEY B_KEY"
first=$(cat "$envf")
check "names added later are appended with random values, nothing rewritten" \
  eval '[ "$RC" -eq 0 ] && [ "$(cut -d= -f1 "$envf" | tr "\n" " ")" = "A_KEY B_KEY " ] && grep -qE "^A_KEY=[0-9a-f]{64}$" "$envf" && [ "$(sed -n "s/^A_KEY=//p" "$envf")" != "$(sed -n "s/^B_KEY=//p" "$envf")" ] && ! grep -qF "$(sed -n "s/^A_KEY=//p" "$envf")" "$tmp/out"'
secrets_step "B_KEY A_KEY"
check "an existing secrets file is never rewritten" \
  eval '[ "$RC" -eq 0 ] && [ "$(cat "$envf")" = "$first" ] && [ "$(stat -c %a "$envf")" = 600 ] && grep -q "never rewritten" "$tmp/out"'

finish
