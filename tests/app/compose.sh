#!/usr/bin/env bash
# docker-compose.yml, .env.example and the image recipes: Debian's
# docker-compose validates the file; tests/app/test_stack.py checks the rules.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/lib.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$root" || exit 1
/usr/bin/python3 -m unittest -v tests/app/test_stack.py 2>&1 | tee "$log"
app_unittest_summary "$log" "${PIPESTATUS[0]}"
