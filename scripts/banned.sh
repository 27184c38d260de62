#!/usr/bin/env bash
# Fails (exit 1) when any given C file calls a banned function; prints where.
set -u
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets)[[:space:]]*\('
[ $# -gt 0 ] || exit 0
if grep -nHE "$banned" "$@" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)'; then
  echo "banned function used: use snprintf, craft_buf, strtol and friends instead" >&2
  exit 1
fi
exit 0
