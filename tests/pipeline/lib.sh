# shellcheck shell=bash
# What the pipeline tests that run the workflows' jobs share: the runner's
# workspace, a GitHub-shaped OIDC token, and a webhook receiver. The AWS
# simulator and Docker engine come from tests/lib/sandbox.sh. Source both
# from the top of the repository.

# What the functions set, for the caller.
# shellcheck disable=SC2034
HOOK_PID='' HOOK_URL=''

# pl_workspace DIR: the runner's checkout of this tree in DIR (the files git
# has, node_modules left out) with a copy of the build, so the job's `make`
# has little to do. Outside a git checkout the version string is the
# Makefile's; version.h gets it with an old date so nothing rebuilds for it.
pl_workspace() {
  local work=$1 version
  mkdir -p "$work"
  git ls-files -co --exclude-standard -z | grep -zv '^tests/pipeline/node_modules/' |
    xargs -0 cp --parents --preserve=timestamps -t "$work" 2>/dev/null
  cp -a "${BUILD:-build}" "$work/build"
  version=$(sed -n 's/^VERSION *:= *//p' Makefile)
  printf '#define CRAFT_VERSION "%s"\n' "$version" >"$work/build/gen/version.h"
  touch -d '2000-01-01' "$work/build/gen/version.h"
}

# pl_oidc_token FILE [CLAIMS]: writes a token shaped like the one GitHub
# Actions gives a job in the production environment of acme/shop (the
# simulator reads its claims; the signature is not checked).
pl_oidc_token() {
  local claims=${2:-'{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:acme/shop:environment:production"}'}
  b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
  printf '%s.%s.%s\n' "$(b64url '{"alg":"RS256","typ":"JWT","kid":"test"}')" "$(b64url "$claims")" \
    "$(b64url not-a-real-signature)" >"$1"
}

# pl_hook_start DIR: tests/pipeline/hook_listener.py on a free port; every
# POST becomes a line "CONTENT-TYPE BODY" of DIR/hook.jsonl. Sets HOOK_PID
# and HOOK_URL (.../hook; .../fail answers 500). Returns 1 when it does not
# listen within 30 s.
pl_hook_start() {
  local dir=$1
  rm -f "$dir/hook.port"
  /usr/bin/python3 tests/pipeline/hook_listener.py "$dir/hook.jsonl" "$dir/hook.port" &
  HOOK_PID=$!
  for _ in $(seq 300); do
    [ -s "$dir/hook.port" ] && break
    kill -0 "$HOOK_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -s "$dir/hook.port" ] || return 1
  HOOK_URL=http://127.0.0.1:$(cat "$dir/hook.port")/hook
}

# ok TEXT, bad TEXT: one result line each (run.sh counts them); finish: the
# script's count line (named by PL_NAME), then exit, non-zero on a failure.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
finish() {
  echo "${PL_NAME:-${0##*/}}: $pass ok, $fail failed"
  [ "$fail" -eq 0 ]
  exit
}
