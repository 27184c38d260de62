#!/usr/bin/env bash
# Usage: confirm-stack.sh STACK_FILE TYPED_NAME
# Exits 0 only when TYPED_NAME is exactly the stack name in STACK_FILE; the
# destroy workflow runs it before anything else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ]; then
  echo "usage: confirm-stack.sh STACK_FILE TYPED_NAME" >&2
  exit 2
fi
file=$1 typed=$2
if [ ! -f "$file" ]; then
  echo "::error title=destroy::stack file '$file' is not in the repository"
  exit 2
fi
stack=$("$here/stack-info.py" "$file" stack) || {
  echo "::error title=destroy::cannot read the stack name from '$file'"
  exit 2
}
if [ "$typed" != "$stack" ]; then
  echo "::error title=destroy::the typed name '$typed' is not the stack in '$file' ('$stack'); nothing was destroyed"
  exit 1
fi
echo "confirmed: destroying stack '$stack' from $file"
