#!/usr/bin/env bash
# test-awsproto: the protocol serializers and the signer against botocore,
# and a libFuzzer smoke run of the protocol parsers' and serializer's
# harnesses. Pure: no server, no network.
set -u
cd "$(dirname "$0")/../.." || exit 1
driver=${DRIVER:-build/tests/awsproto-driver}
fuzz_dir=${FUZZ_DIR:-build/fuzz}
count=${COUNT:-2400}
py=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

if ! "$py" -c 'import botocore' 2>/dev/null; then
  echo "awsproto: python3-botocore is not installed; the differential test needs it"
  exit 1
fi

echo "== differential: serializers + signer against botocore.serialize + SigV4Auth"
if out=$("$py" tests/awsproto/protodiff.py --driver "$driver" --count "$count"); then
  ok "$out"
else
  bad "$out"
fi
# The comparison itself must see a spoiled answer, whichever part it is.
if out=$("$py" tests/awsproto/protodiff.py --driver "$driver" --count 200 --mutate); then
  ok "self-test: every spoiled answer is reported ($out)"
else
  bad "self-test: a spoiled answer went unnoticed: $out"
fi

echo "== fuzz smoke (libFuzzer + ASan/UBSan)"
for f in jsonresp restxml protoser; do
  mkdir -p "$tmp/corpus-$f"
  if out=$("$fuzz_dir/$f" -runs=30000 -max_total_time=15 "$tmp/corpus-$f" \
    "tests/fuzz/$f/corpus" 2>&1); then
    ok "fuzz_$f: $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' <<<"$out" | head -1)"
  else
    bad "fuzz_$f crashed: $(tail -30 <<<"$out")"
  fi
done

echo
echo "awsproto: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
