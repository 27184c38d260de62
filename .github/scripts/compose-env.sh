#!/usr/bin/env bash
# Usage: compose-env.sh [.env.example] > .env
# Copies the example environment file for `docker compose` and gives every
# secret (a name with PASSWORD, SECRET, TOKEN or ending in _KEY) that is
# empty or a "change-me..." placeholder a fresh random value, so CI never
# runs on a known or empty password. Other lines are copied unchanged.
set -euo pipefail
example=${1:-.env.example}
if [ ! -f "$example" ]; then
  echo "compose-env: '$example' not found" >&2
  exit 2
fi
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=[[:space:]]*(change-me[^[:space:]]*)?[[:space:]]*$ ]]; then
    name=${BASH_REMATCH[1]}
    if [[ $name =~ (PASSWORD|SECRET|TOKEN|_KEY$) ]]; then
      printf '%s=%s\n' "$name" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
      continue
    fi
  fi
  printf '%s\n' "$line"
done < "$example"
