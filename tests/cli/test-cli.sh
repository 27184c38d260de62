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
# Each command completes exactly the options its own help lists (plus the
# global ones), so `deploy --ho<TAB>` finds --host.
for c in $cmds; do
  [ "$c" = help ] && continue
  want=$("$bin" help "$c" | sed -n '/^options:/,/^$/p' | grep -oE -- '(^|[ ,])-(-[a-z][a-z-]*|[a-zA-Z])' |
    tr -d ' ,' | sort -u)
  COMP_WORDS=(craftctl "$c" -); COMP_CWORD=2; _craftctl
  glob=$(COMP_WORDS=(craftctl -); COMP_CWORD=1; _craftctl; printf '%s\n' "${COMPREPLY[@]}" | sort -u)
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | comm -23 - <(printf '%s\n' "$glob"))
  if [ "$got" = "$want" ]; then
    ok "completion of '$c -' offers its options: $(tr '\n' ' ' <<<"$got")"
  else
    bad "completion of '$c -' offers '$(tr '\n' ' ' <<<"$got")', its help lists '$(tr '\n' ' ' <<<"$want")'"
  fi
done
COMP_WORDS=(craftctl deploy --ho); COMP_CWORD=2; _craftctl
if [ "$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')" = "--host --host-key " ]; then
  ok "completion completes a command's option (deploy --ho)"
else
  bad "completion of 'deploy --ho' gave '${COMPREPLY[*]}'"
fi
COMP_WORDS=(craftctl diagram -o ""); COMP_CWORD=3
if (cd "$tmp" && : >candidate.svg && _craftctl && [ "${COMPREPLY[*]}" = candidate.svg ]); then
  ok "completion completes a file after -o"
else
  bad "completion after 'diagram -o' does not offer files"
fi
man=$("$bin" completion man)
if warnings=$(groff -man -ww -z <<<"$man" 2>&1) && [ -z "$warnings" ]; then ok "man page renders without warnings"; else bad "man page warnings: $warnings"; fi
missing=""
for c in $cmds; do grep -q "^\.SS \"$c" <<<"$man" || missing="$missing $c"; done
for o in $("$bin" --help | grep -oE -- '--[a-z-]+' | sort -u); do
  grep -qF -- "${o//-/\\-}" <<<"$man" || missing="$missing $o"
done
if [ -z "$missing" ]; then ok "man page documents every command and global option"; else bad "man page lacks:$missing"; fi
missing=""
nopts=0
for c in $cmds; do
  sect=$(awk -v c="$c" '/^\.SS /{f = index($0, "\"" c) == 5} /^\.S[HS] /&&!/^\.SS "/{f = 0} f' <<<"$man")
  for o in $("$bin" help "$c" | sed -n '/^options:/,/^$/p' | grep -oE -- '(^|[ ,])-(-[a-z][a-z-]*|[a-zA-Z])' | tr -d ' ,'); do
    nopts=$((nopts + 1))
    grep -qF -- "\\fB${o//-/\\-}\\fR" <<<"$sect" || missing="$missing $c:$o"
  done
done
if [ -z "$missing" ] && [ "$nopts" -gt 30 ]; then
  ok "man page documents every command's options under it ($nopts)"
else
  bad "man page lacks:$missing (of $nopts options found in the commands' help)"
fi
# Every environment variable the code reads is in the man page's ENVIRONMENT.
envsect=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' <<<"$man")
missing=""
for v in $(grep -rhoE '"((AWS|CRAFTCTL|XDG|GITHUB)_[A-Z0-9_]+|NO_COLOR|SSH_AUTH_SOCK)"' lib cli | tr -d '"' | sort -u); do
  grep -qF "\\fB$v\\fR" <<<"$envsect" || missing="$missing $v"
done
if [ -z "$missing" ]; then ok "man page ENVIRONMENT names every variable lib/ and cli/ read"; else bad "man page ENVIRONMENT lacks:$missing"; fi

# The banned-function check catches what it must, and only that.
printf 'int f(char *d, const char *s) { strcpy(d, s); return 0; }\n' > "$tmp/bad.c"
printf '/* strcpy( is fine in a comment */\nint g(void) { return 0; }\n' > "$tmp/good.c"
if scripts/banned.sh "$tmp/bad.c" >/dev/null 2>&1; then bad "banned check misses strcpy"; else ok "banned check catches strcpy"; fi
if scripts/banned.sh "$tmp/good.c" >/dev/null 2>&1; then ok "banned check ignores comments"; else bad "banned check flags a comment"; fi
printf 'int k(int *p, const char *s)\n{\n\t*p = atoi(s);\n\treturn 0;\n}\n' > "$tmp/deref.c"
if scripts/banned.sh "$tmp/deref.c" >/dev/null 2>&1; then bad "banned check takes '*p = atoi(s);' for a comment"; else ok "banned check catches a call on a line starting with *p"; fi
for fn in sprintf strcat strtok atoi gets; do
  printf 'void h(void) { %s(x); }\n' "$fn" > "$tmp/b.c"
  if scripts/banned.sh "$tmp/b.c" >/dev/null 2>&1; then bad "banned check misses $fn"; else ok "banned check catches $fn"; fi
done

# make deps (scripts/deps.sh) does nothing, not even apt-get update, when
# every package is installed; else it updates once and installs only what
# is missing. apt-get is a stand-in that records its calls.
mkdir -p "$tmp/shim"
printf '#!/bin/sh\necho "apt-get $*" >> "%s/apt.log"\n' "$tmp" >"$tmp/shim/apt-get"
chmod +x "$tmp/shim/apt-get"
printf 'bash   # a comment\ncoreutils\n' >"$tmp/present.txt"
printf 'craftctl-no-such-package-a\n# nothing here\n' >"$tmp/missing.txt"
if [ "$(id -u)" -eq 0 ]; then
  if PATH=$tmp/shim:$PATH scripts/deps.sh "$tmp/present.txt" >/dev/null 2>&1 && [ ! -e "$tmp/apt.log" ]; then
    ok "make deps with everything installed runs no apt-get at all"
  else
    bad "make deps with everything installed ran: $(cat "$tmp/apt.log" 2>/dev/null)"
  fi
  PATH=$tmp/shim:$PATH scripts/deps.sh "$tmp/present.txt" "$tmp/missing.txt" >/dev/null 2>&1
  if [ "$(sed 's/ -[^ ]*//g' "$tmp/apt.log" 2>/dev/null)" = "$(printf 'apt-get update\napt-get install craftctl-no-such-package-a')" ]; then
    ok "make deps with one package missing: apt-get update once, then installs only that one"
  else
    bad "make deps with one package missing ran: $(cat "$tmp/apt.log" 2>/dev/null)"
  fi
fi

# README.md tells the truth: its tables, options, make targets, paths,
# variables and quoted messages against the tree and the binary.
out=$(/usr/bin/python3 tests/cli/readme_check.py --bin "$bin" 2>&1)
rc=$?
while IFS= read -r line; do
  case $line in
    "ok   "*) ok "${line#ok   }" ;;
    "FAIL "*) bad "${line#FAIL }" ;;
  esac
done <<<"$out"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then bad "readme_check.py exit $rc: $out"; fi

# make check itself (scripts/check.sh, not only banned.sh) fails on a banned
# call in lib/: a tiny tree with the real check scripts.
mini=$tmp/mini
mkdir -p "$mini/scripts" "$mini/lib"
cp scripts/check.sh scripts/banned.sh "$mini/scripts/"
cp .clang-format "$mini/"
printf '/* m: a module for the check test */\n#include <stdlib.h>\n\nint m_first(const char *s);\n\nint m_first(const char *s)\n{\n\treturn s[0];\n}\n' >"$mini/lib/m.c"
git -C "$mini" init -q
if out=$("$mini/scripts/check.sh" 2>&1); then ok "make check passes on a clean tree"; else bad "make check fails on a clean tree: $out"; fi
sed -i 's/return s\[0\];/return atoi(s);/' "$mini/lib/m.c"
out=$("$mini/scripts/check.sh" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q '^check: FAILED: banned-functions$' <<<"$out" && grep -q '^lib/m.c:8:' <<<"$out"; then
  ok "make check fails naming the file and line of an atoi call"
else
  bad "make check with atoi in lib/: exit $rc: $out"
fi

# make install honours PREFIX and DESTDIR and installs the binary, the man
# page and the completion; make uninstall removes them.
build=${BUILD:-build}
dest=$tmp/dest
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory BUILD="$build" "$@"; }
if out=$(mk DESTDIR="$dest" PREFIX=/opt/craft install 2>&1) &&
  [ "$(stat -c %a "$dest/opt/craft/bin/craftctl" 2>/dev/null)" = 755 ] &&
  [ "$("$dest/opt/craft/bin/craftctl" --version)" = "$("$bin" --version)" ] &&
  [ "$(stat -c %a "$dest/opt/craft/share/man/man1/craftctl.1" 2>/dev/null)" = 644 ] &&
  cmp -s "$dest/opt/craft/share/man/man1/craftctl.1" <(printf '%s\n' "$man") &&
  cmp -s "$dest/opt/craft/share/bash-completion/completions/craftctl" <(printf '%s\n' "$comp"); then
  ok "make install PREFIX=/opt/craft DESTDIR=...: binary (0755), man page and completion (0644)"
else
  bad "make install: $out $(find "$dest" -type f -printf '%m %p\n' 2>/dev/null)"
fi
if mk DESTDIR="$dest" PREFIX=/opt/craft uninstall >/dev/null 2>&1 && [ -z "$(find "$dest" -type f)" ]; then
  ok "make uninstall removes all three"
else
  bad "make uninstall left: $(find "$dest" -type f)"
fi

# The version comes from git describe at build time, else from the Makefile.
mkver=$(sed -n 's/^VERSION *:= *//p' Makefile)
GIT_DIR="$tmp/no-git" mk BUILD="$tmp/v1" "$tmp/v1/gen/version.h" >/dev/null 2>&1
if grep -qx "#define CRAFT_VERSION \"$mkver\"" "$tmp/v1/gen/version.h" 2>/dev/null; then
  ok "without git, the version is the Makefile's ($mkver)"
else
  bad "without git, version.h is: $(cat "$tmp/v1/gen/version.h" 2>&1)"
fi
if desc=$(git describe --tags --always --dirty 2>/dev/null); then
  mk BUILD="$tmp/v2" "$tmp/v2/gen/version.h" >/dev/null 2>&1
  if grep -qx "#define CRAFT_VERSION \"$mkver+$desc\"" "$tmp/v2/gen/version.h" 2>/dev/null; then
    ok "in a git checkout, the version carries git describe ($mkver+$desc)"
  else
    bad "in git, version.h is: $(cat "$tmp/v2/gen/version.h" 2>&1), want $mkver+$desc"
  fi
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
