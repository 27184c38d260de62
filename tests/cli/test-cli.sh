#!/usr/bin/env bash
# The CLI contract: help, version, exit statuses, error messages that name
# the offender; and the banned-function check of `make check`.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${CRAFTCTL:-build/craftctl}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# expect NAME STATUS PATTERN -- ARGS...: runs craftctl, checks its exit status
# and that stdout+stderr match PATTERN (an extended regex).
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$bin" "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    bad "$name: exit $rc, want $want; output: $out"
  elif ! grep -qE -- "$pattern" <<<"$out"; then
    bad "$name: output does not match /$pattern/: $out"
  else
    ok "$name"
  fi
}

expect "help exits 0 and lists commands" 0 '^commands:' -- --help
expect "help lists global options" 0 '--endpoint-url URL' -- --help
expect "-h is --help" 0 '^usage: craftctl' -- -h
expect "version flag" 0 '^craftctl [0-9]+\.[0-9]+\.[0-9]+' -- --version
expect "version command" 0 '^craftctl [0-9]+\.[0-9]+\.[0-9]+' -- version
expect "unknown option names it" 2 "unknown option '--no-such-option'.*--help" -- --no-such-option
expect "unknown short option names it" 2 "unknown option '-Z'" -- -Z
expect "unknown command names it" 2 "unknown command 'no-such-command'.*--help" -- no-such-command
expect "no command is a usage error" 2 '^usage: craftctl' --
expect "option value missing" 2 "option '--config' needs a value" -- --config
expect "flag given a value" 2 "option '--json' takes no value" -- --json=yes version
expect "help COMMAND" 0 '^usage: craftctl version' -- help version
expect "COMMAND --help" 0 '^usage: craftctl help' -- help --help
expect "help of unknown command" 2 "unknown command 'nope'" -- help nope
expect "global option after command" 0 '^craftctl ' -- version --no-color -v
expect "-- ends options" 2 "'version' takes no arguments \\(got '--json'\\)" -- version -- --json

# Every command --help lists must exist and answer its own --help.
cmds=$("$bin" --help | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}')
for c in $cmds; do
  expect "help for listed command $c" 0 "^usage: craftctl $c" -- "$c" --help
done

# Completion and man page are generated from the same table as --help.
comp=$("$bin" completion bash)
if bash -n <<<"$comp"; then ok "completion script parses"; else bad "completion script has a syntax error"; fi
# shellcheck disable=SC2016 # matching the literal text of the script
all_words=$(sed -n 's/^    \*) mapfile -t COMPREPLY < <(compgen -W "$global \(.*\)" -- "$cur") ;;$/\1/p' <<<"$comp")
if [ "$(tr ' ' '\n' <<<"$all_words" | sort)" = "$(sort <<<"$cmds")" ]; then
  ok "completion offers exactly the listed commands"
else
  bad "completion commands '$all_words' differ from --help's '$(tr '\n' ' ' <<<"$cmds")'"
fi
# shellcheck disable=SC1090
source <(printf '%s\n' "$comp")
COMP_WORDS=(craftctl vers); COMP_CWORD=1; _craftctl
if [ "${COMPREPLY[*]}" = "version" ]; then ok "completion completes a command"; else bad "completion of 'vers' gave '${COMPREPLY[*]}'"; fi
COMP_WORDS=(craftctl version --no-c); COMP_CWORD=2; _craftctl
if [ "${COMPREPLY[*]}" = "--no-color" ]; then ok "completion completes a global option"; else bad "completion of '--no-c' gave '${COMPREPLY[*]}'"; fi
man=$("$bin" completion man)
if warnings=$(groff -man -ww -z <<<"$man" 2>&1) && [ -z "$warnings" ]; then ok "man page renders without warnings"; else bad "man page warnings: $warnings"; fi
missing=""
for c in $cmds; do grep -q "^\.SS \"$c" <<<"$man" || missing="$missing $c"; done
for o in $("$bin" --help | grep -oE -- '--[a-z-]+' | sort -u); do
  grep -qF -- "${o//-/\\-}" <<<"$man" || missing="$missing $o"
done
if [ -z "$missing" ]; then ok "man page documents every command and global option"; else bad "man page lacks:$missing"; fi

# The banned-function check catches what it must, and only that.
printf 'int f(char *d, const char *s) { strcpy(d, s); return 0; }\n' > "$tmp/bad.c"
printf '/* strcpy( is fine in a comment */\nint g(void) { return 0; }\n' > "$tmp/good.c"
if scripts/banned.sh "$tmp/bad.c" >/dev/null 2>&1; then bad "banned check misses strcpy"; else ok "banned check catches strcpy"; fi
if scripts/banned.sh "$tmp/good.c" >/dev/null 2>&1; then ok "banned check ignores comments"; else bad "banned check flags a comment"; fi
for fn in sprintf strcat strtok atoi gets; do
  printf 'void h(void) { %s(x); }\n' "$fn" > "$tmp/b.c"
  if scripts/banned.sh "$tmp/b.c" >/dev/null 2>&1; then bad "banned check misses $fn"; else ok "banned check catches $fn"; fi
done

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
