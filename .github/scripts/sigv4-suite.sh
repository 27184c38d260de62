#!/usr/bin/env bash
# Usage: sigv4-suite.sh AWS_C_AUTH_CHECKOUT [SHARED_DIR]
#
# The unit tests read AWS's official SigV4 test suite from
# ../shared/sigv4-suite/v4 (beside the project, where the project's own CI
# lays it out). On GitHub the workflow checks out awslabs/aws-c-auth; this
# verifies that its tests/aws-signing-test-suite/v4 is byte for byte the
# suite the tests were written against (a SHA-256 over every file, so an
# upstream change fails here with a clear message, not as 76 broken unit
# tests), copies it to SHARED_DIR/sigv4-suite/v4 (default ../shared), and
# removes the checkout so nothing foreign stays in the work tree.
set -euo pipefail
want=fcceef32163123224e476e204a47c607ad1fc40fdae01363365340cf6971a8a5
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: sigv4-suite.sh AWS_C_AUTH_CHECKOUT [SHARED_DIR]" >&2
  exit 2
fi
src=$1/tests/aws-signing-test-suite/v4
shared=${2:-../shared}
if [ ! -d "$src" ]; then
  echo "::error title=sigv4 suite::$src not found in the aws-c-auth checkout"
  exit 1
fi
got=$(cd "$src" && find . -type f \( -name '*.txt' -o -name '*.json' \) -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "::error title=sigv4 suite::aws-c-auth's SigV4 suite is not the one the tests expect (sha256 $got, want $want)"
  exit 1
fi
mkdir -p "$shared/sigv4-suite"
rm -rf "$shared/sigv4-suite/v4"
cp -R "$src" "$shared/sigv4-suite/v4"
chmod -R u+w "$shared/sigv4-suite/v4"
rm -rf "$1"
echo "SigV4 suite: $(find "$shared/sigv4-suite/v4" -mindepth 1 -maxdepth 1 -type d | wc -l) cases in $shared/sigv4-suite/v4 (sha256 $got)"
