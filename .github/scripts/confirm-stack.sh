#!/usr/bin/env bash
# Usage: confirm-stack.sh STACK_FILE TYPED_NAME
# Exits 0 only when TYPED_NAME is exactly the stack name in STACK_FILE; the
# destroy workflow runs it before anything else, so it needs nothing but
# bash, grep and sed. It reads the one top-level `stack: NAME` line (names
# are [a-z0-9-], 1-32 characters, so no YAML parser is needed) and refuses
# whatever it cannot read with certainty: no such line, two of them, or a
# value that is not a valid stack name. It can only refuse wrongly, never
# confirm wrongly.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: confirm-stack.sh STACK_FILE TYPED_NAME" >&2
  exit 2
fi
file=$1 typed=$2
if [ ! -f "$file" ]; then
  echo "::error title=destroy::stack file '$file' is not in the repository"
  exit 2
fi
lines=$(grep -cE '^stack[[:space:]]*:' "$file" || true)
stack=$(sed -nE "s/^stack[[:space:]]*:[[:space:]]*([\"']?)([a-z0-9-]{1,32})\\1[[:space:]]*(#.*)?\$/\\2/p" "$file")
if [ "$lines" != 1 ] || [ -z "$stack" ]; then
  echo "::error title=destroy::cannot read one 'stack: NAME' line from '$file'; nothing was destroyed"
  exit 2
fi
if [ "$typed" != "$stack" ]; then
  echo "::error title=destroy::the typed name '$typed' is not the stack in '$file' ('$stack'); nothing was destroyed"
  exit 1
fi
echo "confirmed: destroying stack '$stack' from $file"
