#!/usr/bin/env bash
# Installs the Debian packages listed in the given files (one name a line,
# '#' starts a comment) when any is missing. Does nothing, not even
# `apt-get update`, when all are present.
set -euo pipefail

want=()
for f in "$@"; do
  while read -r line; do
    line=${line%%#*}
    for p in $line; do want+=("$p"); done
  done < "$f"
done
[ ${#want[@]} -gt 0 ] || exit 0

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing+=("$p") ;;
  esac
done
[ ${#missing[@]} -gt 0 ] || exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "deps: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
fi

echo "deps: installing ${#missing[@]} Debian package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
