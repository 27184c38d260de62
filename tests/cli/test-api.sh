#!/usr/bin/env bash
# `craftctl api` against the AWS simulator (tests/awssim, which checks every
# request's signature and input with botocore): each protocol craftctl can
# send, its answers printed unchanged, its errors as '<Code>: <Message>
# (request id ...)' exit 1, usage errors exit 2. The simulator is stopped by
# PID on exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${CRAFTCTL:-build/craftctl}
py=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

AK=AKIDAPITEST
SK='api/Secret+Key/0123456789'
"$py" tests/awssim/awssim --port 0 --port-file "$tmp/port" --access-key "$AK" --secret-key "$SK" \
  --seed 3 >"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do
  [ -s "$tmp/port" ] && break
  sleep 0.05
done
if [ ! -s "$tmp/port" ]; then
  echo "awssim did not start: $(tail -5 "$tmp/sim.log")"
  exit 1
fi
SIM="http://127.0.0.1:$(cat "$tmp/port")"

# sim CMD...: craftctl with the simulator's credentials and nothing else of
# the caller's AWS settings.
sim() {
  env -i PATH="$PATH" HOME="$tmp" AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$tmp/none" \
    AWS_SHARED_CREDENTIALS_FILE="$tmp/none" AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
    AWS_REGION=us-east-2 "$@"
}

# expect NAME STATUS PATTERN CMD...: exit status and an output (stdout+stderr) regex.
expect() {
  local name=$1 want=$2 pattern=$3
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    bad "$name: exit $rc, want $want; output: ${out:0:1500}"
  elif ! grep -qE -- "$pattern" <<<"$out"; then
    bad "$name: output does not match /$pattern/: ${out:0:1500}"
  else
    ok "$name"
  fi
}

echo "== ec2 and sts (Query)"
expect "api ec2 DescribeVpcs" 0 '^<\?xml .*<DescribeVpcsResponse|^<DescribeVpcsResponse' \
  sim "$bin" api ec2 DescribeVpcs --endpoint-url "$SIM"
expect "api sts GetCallerIdentity" 0 '<Account>[0-9]{12}</Account>' \
  sim "$bin" api sts GetCallerIdentity --endpoint-url "$SIM"

echo "== iam (Query, a global service)"
policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
expect "api iam CreateRole" 0 '<RoleName>craft-api-test</RoleName>' \
  sim "$bin" api iam CreateRole RoleName=craft-api-test "AssumeRolePolicyDocument=$policy" \
  --endpoint-url "$SIM"
expect "api iam GetRole prints the response unchanged" 0 \
  '^<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>.*<RoleName>craft-api-test</RoleName>' \
  sim "$bin" api iam GetRole RoleName=craft-api-test --endpoint-url "$SIM"
expect "an IAM error: NoSuchEntity with its request id, exit 1" 1 \
  '^craftctl: NoSuchEntity: The role with name nope cannot be found. \(request id [0-9a-f-]+\)$' \
  sim "$bin" api iam GetRole RoleName=nope --endpoint-url "$SIM"
expect "AWS_ENDPOINT_URL_IAM alone sends iam there (not AWS_ENDPOINT_URL_EC2's)" 0 \
  '<RoleName>craft-api-test</RoleName>' \
  sim AWS_ENDPOINT_URL_IAM="$SIM" AWS_ENDPOINT_URL_EC2=http://127.0.0.1:1 "$bin" api iam GetRole \
  RoleName=craft-api-test
printf '[default]\nservices = sim\n[services sim]\niam =\n  endpoint_url = %s\n' "$SIM" >"$tmp/config"
expect "the profile's services section sends iam there" 0 '<RoleName>craft-api-test</RoleName>' \
  sim AWS_CONFIG_FILE="$tmp/config" "$bin" api iam GetRole RoleName=craft-api-test
expect "api iam DeleteRole" 0 '<DeleteRoleResponse' \
  sim "$bin" api iam DeleteRole RoleName=craft-api-test --endpoint-url "$SIM"
expect "a wrong secret is refused by the simulator's botocore check" 1 \
  '^craftctl: (SignatureDoesNotMatch|InvalidClientTokenId): ' \
  sim AWS_SECRET_ACCESS_KEY=wrong "$bin" api iam ListRoles --endpoint-url "$SIM"

echo "== route53 (REST-XML: URI, query string and XML body placed by the model)"
out=$(printf '{"Name": "api-test.example.com", "CallerReference": "craft-api-1"}' |
  sim "$bin" api route53 CreateHostedZone --body - --endpoint-url "$SIM" 2>&1)
zone=$(sed -n 's|.*<Id>/hostedzone/\([A-Z0-9]*\)</Id>.*|\1|p' <<<"$out")
if [ -n "$zone" ] && grep -q '<Name>api-test.example.com.</Name>' <<<"$out"; then
  ok "api route53 CreateHostedZone --body - (POST, XML body)"
else
  bad "route53 CreateHostedZone: ${out:0:1500}"
fi
expect "api route53 ListHostedZones (GET, no body)" 0 \
  '<ListHostedZonesResponse .*<Name>api-test.example.com.</Name>' \
  sim "$bin" api route53 ListHostedZones --endpoint-url "$SIM"
cat >"$tmp/change.json" <<EOF
{"HostedZoneId": "$zone", "ChangeBatch": {"Comment": "api test", "Changes": [
  {"Action": "UPSERT", "ResourceRecordSet": {"Name": "www.api-test.example.com", "Type": "A",
   "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}, {"Value": "192.0.2.11"}]}}]}}
EOF
expect "api route53 ChangeResourceRecordSets (the zone id in the URI, nested lists)" 0 \
  '<ChangeInfo><Id>/change/[A-Z0-9]+</Id><Status>(PENDING|INSYNC)</Status>' \
  sim "$bin" api route53 ChangeResourceRecordSets --body "$tmp/change.json" --endpoint-url "$SIM"
printf '{"HostedZoneId": "%s", "StartRecordType": "A", "StartRecordName": "www.api-test.example.com"}' \
  "$zone" >"$tmp/list.json"
expect "api route53 ListResourceRecordSets (members in the query string)" 0 \
  '<Name>www.api-test.example.com.</Name><Type>A</Type><TTL>60</TTL>.*192.0.2.11' \
  sim AWS_ENDPOINT_URL_ROUTE_53="$SIM" "$bin" api route53 ListResourceRecordSets --body "$tmp/list.json"
printf '{"Id": "ZNOSUCHZONE"}' >"$tmp/nozone.json"
expect "a Route 53 error: NoSuchHostedZone, its request id, exit 1" 1 \
  '^craftctl: NoSuchHostedZone: No hosted zone found with ID: ZNOSUCHZONE \(request id [0-9a-f-]+\)$' \
  sim "$bin" api route53 GetHostedZone --body "$tmp/nozone.json" --endpoint-url "$SIM"
printf '{"Nme": "x"}' >"$tmp/typo.json"
expect "a member the model does not know is a usage error naming it" 2 \
  "route53 CreateHostedZone: Nme: unknown member of CreateHostedZoneRequest" \
  sim "$bin" api route53 CreateHostedZone --body "$tmp/typo.json" --endpoint-url "$SIM"
printf '{"Name": "x.example.com"}' >"$tmp/noref.json"
expect "a missing required member is a usage error" 2 "CallerReference" \
  sim "$bin" api route53 CreateHostedZone --body "$tmp/noref.json" --endpoint-url "$SIM"

echo "== ecr (JSON 1.1: X-Amz-Target, the body as given)"
printf '{"repositoryName": "api-web", "imageTagMutability": "IMMUTABLE"}' >"$tmp/repo.json"
expect "api ecr CreateRepository --body FILE" 0 \
  '^\{"repository": \{.*"repositoryName": "api-web".*"imageTagMutability": "IMMUTABLE"' \
  sim "$bin" api ecr CreateRepository --body "$tmp/repo.json" --endpoint-url "$SIM"
expect "api ecr DescribeRepositories (no --body: {})" 0 '"repositoryName": "api-web"' \
  sim "$bin" api ecr DescribeRepositories --endpoint-url "$SIM"
expect "AWS_ENDPOINT_URL_ECR alone sends ecr there" 0 '"repositoryName": "api-web"' \
  sim AWS_ENDPOINT_URL_ECR="$SIM" AWS_ENDPOINT_URL=http://127.0.0.1:1 "$bin" api ecr DescribeRepositories
printf '{"repositoryNames": ["nope"]}' >"$tmp/norepo.json"
expect "a JSON error: __type and message, the request id from x-amzn-RequestId, exit 1" 1 \
  "^craftctl: RepositoryNotFoundException: The repository with name 'nope' does not exist in the registry with id '[0-9]{12}' \\(request id [0-9a-f-]+\\)$" \
  sim "$bin" api ecr DescribeRepositories --body "$tmp/norepo.json" --endpoint-url "$SIM"
printf '{"repositoryName": "api-web"}' >"$tmp/del.json"
expect "api ecr DeleteRepository --body - (stdin)" 0 '"repositoryName": "api-web"' \
  sim "$bin" api ecr DeleteRepository --body - --endpoint-url "$SIM" <"$tmp/del.json"

echo "== what is signed, held against botocore (tests/cli/canonical.py)"
# ours ARGS...: craftctl -vv api ARGS' canonical request without its header
# values (host and date differ): method, URI, query, signed headers, payload hash.
ours() {
  sim AWS_SESSION_TOKEN=FQoGZXIvYXdzSESSIONexample AWS_MAX_ATTEMPTS=1 "$bin" -vv api "$@" --endpoint-url http://127.0.0.1:1 2>&1 |
    "$py" -c '
import sys
text = sys.stdin.read().split("canonical request:\n", 1)[1]
lines = text.split("\naws: ", 1)[0].split("\n")
blank = lines.index("", 3)
print("\n".join(lines[:3] + lines[blank + 1:]))'
}
printf '{"repositoryNames": ["web"]}' >"$tmp/canon-ecr.json"
printf '{"HostedZoneId": "Z1", "StartRecordName": "www.x.com", "StartRecordType": "A"}' >"$tmp/canon-r53.json"
# SERVICE|ACTION|craftctl's arguments|botocore's parameters
while IFS='|' read -r svc op args params; do
  # shellcheck disable=SC2086 # the arguments are words
  mine=$(ours "$svc" "$op" $args)
  theirs=$("$py" tests/cli/canonical.py "$svc" "$op" "$params" 2>&1)
  if [ -n "$mine" ] && [ "$mine" = "$theirs" ]; then
    ok "$svc $op: the same method, path, query, signed headers and payload as botocore"
  else
    bad "$svc $op: craftctl signs
$mine
botocore signs
$theirs"
  fi
done <<EOF
ecr|DescribeRepositories|--body $tmp/canon-ecr.json|$(cat "$tmp/canon-ecr.json")
route53|ListResourceRecordSets|--body $tmp/canon-r53.json|$(cat "$tmp/canon-r53.json")
iam|GetRole|RoleName=web|{"RoleName": "web"}
ec2|DescribeVpcs|VpcId.1=vpc-1|{"VpcIds": ["vpc-1"]}
EOF

echo "== usage errors"
expect "an unknown service names the known ones" 2 \
  "unknown service 's3' \\(known: acm, application-autoscaling, cloudwatch, ec2, ecr, ecs, elbv2, iam, logs, rds, route53, secretsmanager, sns, sts\\)" \
  sim "$bin" api s3 ListBuckets
expect "an unknown action names the known ones" 2 \
  "unknown iam action 'ListRolez' \\(known: .*ListRoles, " \
  sim "$bin" api iam ListRolez --endpoint-url "$SIM"
expect "a JSON service takes --body, not Key=Value" 2 "ecs takes its input as JSON" \
  sim "$bin" api ecs ListClusters maxResults=1

echo
echo "cli api: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
