#!/usr/bin/env bash
# The frontend: npm ci from the committed lock file, Vitest component tests,
# and the production build (dist/ must contain the app).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root/app/frontend" || exit 1
report=$(mktemp)
trap 'rm -f "$report"' EXIT

if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "npm ci failed"
  echo "0 passed, 1 failed"
  exit 1
fi
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
vitest_status=$?
read -r passed failed < <(/usr/bin/python3 -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print(r["numPassedTests"], r["numFailedTests"] + r.get("numRuntimeErrorTestSuites", 0))
except Exception:
    print(0, 1)
' "$report")
[ "$vitest_status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1

# The build is one more check: it must produce index.html and hashed assets.
if npx vite build --logLevel warn && [ -f dist/index.html ] && ls dist/assets/*.js > /dev/null 2>&1 &&
  ! grep -q 'localhost:8000' dist/assets/*.js; then
  echo "build: ok (dist/index.html, $(find dist/assets -type f | wc -l) assets)"
  passed=$((passed + 1))
else
  echo "build: FAILED"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
