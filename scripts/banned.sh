#!/usr/bin/env bash
# Fails (exit 1) when any given C file calls a banned function; prints where.
set -u
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets)[[:space:]]*\('
[ $# -gt 0 ] || exit 0
# A line that starts a comment, or continues one (` * text`, ` */`), is
# prose; `*p = atoi(s);` is code.
if grep -nHE "$banned" "$@" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|//|\*([[:space:]/]|$))'; then
  echo "banned function used: use snprintf, craft_buf, strtol and friends instead" >&2
  exit 1
fi
exit 0
