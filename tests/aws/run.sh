#!/usr/bin/env bash
# test-aws: the AWS core against botocore and loopback stand-ins.
#  - the differential test: random requests signed by craftctl and by botocore
#  - `craftctl api` end to end against tests/aws/fakeaws.py (which verifies
#    every signature with botocore): success, AWS errors, usage errors, -vv
#    never showing the secret or the session token
#  - every credential provider (env, web identity, shared files,
#    credential_process, container, IMDSv2), caching and refresh
#  - region and endpoint precedence, retries, clock skew, paging, concurrency
#  - a short libFuzzer smoke run of both harnesses
# Every process started here is stopped by PID on exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${CRAFTCTL:-build/craftctl}
tool=${AWSTOOL:-build/tests/awstool}
fuzz_dir=${FUZZ_DIR:-build/fuzz}
py=/usr/bin/python3
pass=0
fail=0
pids=()
tmp=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

AK=AKIDFAKEEXAMPLE
SK='fake/secret+KEY/with/slashes'
TOKEN='FQoGZXIvYXdzEJr//////////wEaDFAKESESSIONTOKEN+abc/def=='
mkdir -p "$tmp/home"

# start_fake NAME ARGS...: starts fakeaws.py, sets port_NAME.
start_fake() {
  local name=$1
  shift
  "$py" tests/aws/fakeaws.py --port-file "$tmp/$name.port" --access-key "$AK" \
    --secret-key "$SK" "$@" 2>"$tmp/$name.log" &
  pids+=($!)
  for _ in $(seq 300); do # 15 s: botocore's import is slow on a busy machine
    [ -s "$tmp/$name.port" ] && break
    sleep 0.05
  done
  if [ ! -s "$tmp/$name.port" ]; then
    echo "cannot start fakeaws $name: $(cat "$tmp/$name.log")"
    exit 1
  fi
}

# clean CMD...: runs CMD with an environment holding no AWS settings but
# ours: no ~/.aws, no instance metadata lookups off the machine.
clean() {
  env -i PATH="$PATH" HOME="$tmp/home" AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE="$tmp/no-config" AWS_SHARED_CREDENTIALS_FILE="$tmp/no-credentials" "$@"
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

# same NAME ACTUAL WANT: a counter check.
same() {
  if [ "$2" -eq "$3" ]; then ok "$1"; else bad "$1: $2, want $3"; fi
}

stat_of() { # stat_of PORT KEY
  curl -s "http://127.0.0.1:$1/_fake/stats" | "$py" -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
fault() { # fault PORT JSON
  curl -s -X POST -d "$2" "http://127.0.0.1:$1/_fake/faults" >/dev/null
}

start_fake main --region us-east-2 --container-token 'Bearer container-secret' \
  --web-token 'oidc.jwt.token' --vpcs 5
start_fake tok --region us-east-2 --session-token "$TOKEN"
start_fake eu --region eu-west-1
start_fake short --region us-east-2 --cred-ttl 200 --container-token 'Bearer c'
port_main=$(cat "$tmp/main.port")
port_tok=$(cat "$tmp/tok.port")
port_eu=$(cat "$tmp/eu.port")
port_short=$(cat "$tmp/short.port")
M="http://127.0.0.1:$port_main"
ENVCREDS=(AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK")

echo "== differential: craftctl's signer against botocore's SigV4Auth"
if out=$("$py" tests/aws/sigv4_diff.py --tool "$tool" --count 600); then
  ok "$out"
else
  bad "differential: $out"
fi

echo "== craftctl api"
expect "api ec2 DescribeVpcs signs a request botocore verifies" 0 \
  '<vpcId>vpc-00000000</vpcId>.*<value>caf&amp;é ~x%20y\+z/=</value>' \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M" \
  Filter.1.Name=tag:Name 'Filter.1.Value.1=caf&é ~x%20y+z/='
for v in '' ' ' '*' 'a=b&c=d' '日本語 😀' "$(printf 'x%.0s' $(seq 3000))" "quote'\"<>" '%' '+'; do
  expect "filter value '${v:0:20}' verifies" 0 '<DescribeVpcsResponse' \
    clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M" \
    Filter.1.Name=tag:Name "Filter.1.Value.1=$v"
done
expect "with AWS_SESSION_TOKEN the token is signed and verifies" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_SESSION_TOKEN="$TOKEN" "$bin" api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "http://127.0.0.1:$port_tok" Filter.1.Name=tag:Name Filter.1.Value.1=x
expect "without the session token the same call is refused" 1 '^craftctl: AuthFailure: ' \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --region us-east-2 \
  --endpoint-url "http://127.0.0.1:$port_tok"
expect "a wrong secret is AuthFailure, exit 1, with the request id" 1 \
  '^craftctl: AuthFailure: AWS was not able to validate the provided access credentials \(request id req-[0-9a-f]+\)$' \
  clean AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY=wrong-secret "$bin" api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "$M"
expect "sts GetCallerIdentity" 0 '<Account>123456789012</Account>' \
  clean "${ENVCREDS[@]}" "$bin" api sts GetCallerIdentity --region us-east-2 --endpoint-url "$M"
expect "sts error shape parsed (SignatureDoesNotMatch)" 1 \
  '^craftctl: SignatureDoesNotMatch: The request signature we calculated does not match.*\(request id req-' \
  clean AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY=wrong "$bin" api sts GetCallerIdentity \
  --region us-east-2 --endpoint-url "$M"
expect "an unknown action is the service's error, not retried" 1 '^craftctl: InvalidAction: ' \
  clean "${ENVCREDS[@]}" "$bin" api ec2 NoSuchAction --region us-east-2 --endpoint-url "$M"

echo "== craftctl api: JSON services (X-Amz-Target, --body)"
# last_json PORT FIELD: what the fake saw in the last JSON call.
last_json() {
  curl -s "http://127.0.0.1:$1/_fake/stats" |
    "$py" -c "import json,sys; print(json.load(sys.stdin)['json'][-1]['$2'])"
}
printf '{"repositoryNames": ["web", "caf\u00e9 api"]}' >"$tmp/ecr-body.json"
expect "api ecr DescribeRepositories --body FILE signs a JSON call botocore verifies" 0 \
  '^\{"repositories":\[\{"repositoryName":"web",.*"caf\\u00e9 api"' \
  clean "${ENVCREDS[@]}" "$bin" api ecr DescribeRepositories --body "$tmp/ecr-body.json" \
  --region us-east-2 --endpoint-url "$M"
same "the X-Amz-Target is <target prefix>.<action>" \
  "$(last_json "$port_main" target | grep -c '^AmazonEC2ContainerRegistry_V20150921.DescribeRepositories$')" 1
same "the Content-Type is application/x-amz-json-1.1" \
  "$(last_json "$port_main" content_type | grep -c '^application/x-amz-json-1.1$')" 1
same "the body is the file, byte for byte" \
  "$(last_json "$port_main" body | cmp -s - <(cat "$tmp/ecr-body.json"; echo) && echo 1)" 1
same "the path is /" "$(last_json "$port_main" path | grep -c '^/$')" 1
expect "--body - reads stdin" 0 '"repositoryName":"from-stdin"' \
  clean "${ENVCREDS[@]}" sh -c "echo '{\"repositoryNames\":[\"from-stdin\"]}' | \"\$0\" api ecr \
  DescribeRepositories --body - --region us-east-2 --endpoint-url $M" "$bin"
expect "no --body sends {}" 0 '"repositoryName":"web"' \
  clean "${ENVCREDS[@]}" "$bin" api ecr DescribeRepositories --region us-east-2 --endpoint-url "$M"
same "... and the body was {}" "$(last_json "$port_main" body | grep -c '^{}$')" 1
expect "a JSON error: __type and message, the request id, exit 1" 1 \
  '^craftctl: UnknownOperationException: unknown operation AmazonEC2ContainerServiceV20141113.ListClusters \(request id req-[0-9a-f]+\)$' \
  clean "${ENVCREDS[@]}" "$bin" api ecs ListClusters --region us-east-2 --endpoint-url "$M"
expect "a JSON service with a wrong secret: InvalidSignatureException" 1 \
  '^craftctl: InvalidSignatureException: ' \
  clean AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY=wrong "$bin" api ecr DescribeRepositories \
  --region us-east-2 --endpoint-url "$M"
fault "$port_main" '{"throttle": 1}'
out=$(clean "${ENVCREDS[@]}" "$bin" -vv api ecr DescribeRepositories --region us-east-2 --endpoint-url "$M" 2>&1)
if grep -q 'retrying ecr DescribeRepositories' <<<"$out" && grep -q '"repositoryName":"web"' <<<"$out" &&
  [ "$(grep -c 'x-amz-target:AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' <<<"$out")" -eq 2 ]; then
  ok "a throttled JSON call is retried, X-Amz-Target signed on each attempt"
else
  bad "JSON retry: ${out:0:1500}"
fi
fault "$port_main" '{"throttle": 0}'
expect "AWS_ENDPOINT_URL_ECR sends ecr there" 0 '"repositoryName":"web"' \
  clean "${ENVCREDS[@]}" AWS_ENDPOINT_URL_ECR="$M" AWS_ENDPOINT_URL=http://127.0.0.1:1 "$bin" \
  api ecr DescribeRepositories --region us-east-2
expect "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 is not ecr's" 1 '127.0.0.1:1' \
  clean "${ENVCREDS[@]}" AWS_MAX_ATTEMPTS=1 AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2="$M" \
  AWS_ENDPOINT_URL=http://127.0.0.1:1 "$bin" api ecr DescribeRepositories --region us-east-2
printf 'not json' >"$tmp/bad-body"
expect "--body that is no JSON object is a usage error" 2 "--body '.*bad-body': expected a JSON object" \
  clean "${ENVCREDS[@]}" "$bin" api ecr DescribeRepositories --body "$tmp/bad-body" --region us-east-2
expect "--body that does not exist names it" 2 "--body: .*no-such-file" \
  clean "${ENVCREDS[@]}" "$bin" api ecr DescribeRepositories --body "$tmp/no-such-file" --region us-east-2
expect "a JSON service takes no Key=Value" 2 "ecr takes its input as JSON \\(--body FILE\\|-\\), not 'a=b'" \
  clean "${ENVCREDS[@]}" "$bin" api ecr DescribeRepositories a=b --region us-east-2
expect "a Query service takes no --body" 2 "ec2 takes Key=Value parameters, not --body" \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --body "$tmp/ecr-body.json" --region us-east-2
expect "an unknown action of a modelled service names the known ones" 2 \
  "unknown ecs action 'ListClustersX' \\(known: .*ListClusters, .*\\)" \
  clean "${ENVCREDS[@]}" "$bin" api ecs ListClustersX --region us-east-2

out=$(clean "${ENVCREDS[@]}" AWS_SESSION_TOKEN="$TOKEN" "$bin" -vv api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "http://127.0.0.1:$port_tok" 2>&1 >/dev/null)
if grep -q 'canonical request:' <<<"$out" && grep -q 'string to sign:' <<<"$out" &&
  grep -q '^x-amz-security-token:<redacted>$' <<<"$out" && grep -q '^AWS4-HMAC-SHA256$' <<<"$out"; then
  ok "-vv prints the canonical request and the string to sign"
else
  bad "-vv trace missing: ${out:0:800}"
fi
leak=$(clean "${ENVCREDS[@]}" AWS_SESSION_TOKEN="$TOKEN" "$bin" -vv api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "http://127.0.0.1:$port_tok" 2>&1;
  clean AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN="$TOKEN" "$bin" -vv --json api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "$M" 2>&1)
enc_token=$("$py" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$TOKEN")
if grep -qF -- "$SK" <<<"$leak" || grep -qF -- "$TOKEN" <<<"$leak" || grep -qF -- "$enc_token" <<<"$leak" ||
  grep -qF -- "${TOKEN:0:24}" <<<"$leak" || grep -qF -- "${SK:0:12}" <<<"$leak"; then
  bad "-vv output leaks the secret or the session token"
else
  ok "-vv (and --json, and an AWS error) never shows the secret or the session token"
fi

expect "unknown service is a usage error" 2 "unknown service 's3' \\(known: acm, application-autoscaling, cloudwatch, ec2, .*, sts\\)" \
  clean "${ENVCREDS[@]}" "$bin" api s3 ListBuckets --region us-east-2
expect "missing action is a usage error" 2 "needs SERVICE and ACTION" \
  clean "${ENVCREDS[@]}" "$bin" api ec2
expect "a parameter without '=' is a usage error" 2 "expected Key=Value, got 'Filter'" \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs Filter --region us-east-2 --endpoint-url "$M"
expect "invalid region is a usage error" 2 "invalid region 'us east 1'" \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --region 'us east 1'
expect "invalid region from AWS_REGION names it" 2 "AWS_REGION: invalid region 'US_EAST_2'" \
  clean "${ENVCREDS[@]}" AWS_REGION=US_EAST_2 "$bin" api ec2 DescribeVpcs
# one rule wherever the region comes from: the stack file refuses 'local', so AWS_REGION does
expect "AWS_REGION=local is refused as region: local is" 2 "AWS_REGION: invalid region 'local': expected an AWS region such as us-east-2" \
  clean "${ENVCREDS[@]}" AWS_REGION=local "$bin" api ec2 DescribeVpcs --endpoint-url "$M"
printf 'stack: r1\nregion: local\n' >"$tmp/region-local.yaml"
expect "region: local in the stack file is refused the same way" 2 "an AWS region such as us-east-2" \
  clean "${ENVCREDS[@]}" "$bin" -c "$tmp/region-local.yaml" plan
expect "no region is a usage error" 2 "no AWS region" \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --endpoint-url "$M"
expect "a non-http endpoint url is a usage error" 2 "invalid endpoint url 'ftp://x'" \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url ftp://x
expect "TLS is verified: a plain-http server behind https:// fails" 1 "https://127.0.0.1" \
  clean "${ENVCREDS[@]}" AWS_MAX_ATTEMPTS=1 "$bin" api ec2 DescribeVpcs --region us-east-2 \
  --endpoint-url "https://127.0.0.1:$port_main"

# TLS: a self-signed certificate is refused (never a silent downgrade),
# and accepted once AWS_CA_BUNDLE trusts it.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/tls.key" -out "$tmp/tls.crt" >/dev/null 2>&1
start_fake tls --region us-east-2 --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key"
TLS="https://127.0.0.1:$(cat "$tmp/tls.port")"
expect "TLS: an untrusted certificate is an error, not retried" 1 \
  '^craftctl: https://127.0.0.1:[0-9]+: SSL certificate problem: self-signed certificate$' \
  clean "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$TLS"
expect "TLS: trusted through AWS_CA_BUNDLE" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_CA_BUNDLE="$tmp/tls.crt" "$bin" api ec2 DescribeVpcs --region us-east-2 \
  --endpoint-url "$TLS"

echo "== region and endpoint precedence"
E="http://127.0.0.1:$port_eu"
expect "AWS_REGION beats AWS_DEFAULT_REGION" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=us-east-1 "$bin" api ec2 DescribeVpcs --endpoint-url "$E"
expect "AWS_DEFAULT_REGION is used without AWS_REGION" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_DEFAULT_REGION=eu-west-1 "$bin" api ec2 DescribeVpcs --endpoint-url "$E"
expect "--region beats AWS_REGION" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_REGION=us-east-1 "$bin" api ec2 DescribeVpcs --region eu-west-1 --endpoint-url "$E"
expect "a region the server does not expect fails its check" 1 'AuthFailure' \
  clean "${ENVCREDS[@]}" AWS_REGION=us-east-1 "$bin" api ec2 DescribeVpcs --endpoint-url "$E"
printf '[default]\nregion = us-west-2\n[profile eu]\nregion = eu-west-1\nendpoint_url = %s\n' "$E" >"$tmp/config-eu"
expect "the profile's region and endpoint_url" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_CONFIG_FILE="$tmp/config-eu" AWS_PROFILE=eu "$bin" api ec2 DescribeVpcs
expect "AWS_ENDPOINT_URL_EC2 beats AWS_ENDPOINT_URL and the profile" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_CONFIG_FILE="$tmp/config-eu" AWS_PROFILE=eu \
  AWS_ENDPOINT_URL="http://127.0.0.1:1" AWS_ENDPOINT_URL_EC2="$E" "$bin" api ec2 DescribeVpcs
expect "AWS_ENDPOINT_URL beats the profile's endpoint_url" 0 '<DescribeVpcsResponse' \
  clean "${ENVCREDS[@]}" AWS_CONFIG_FILE="$tmp/config-eu" AWS_PROFILE=eu \
  AWS_ENDPOINT_URL="$E" AWS_MAX_ATTEMPTS=1 "$bin" api ec2 DescribeVpcs
expect "AWS_ENDPOINT_URL_STS is for sts only" 0 '<Account>' \
  clean "${ENVCREDS[@]}" AWS_ENDPOINT_URL_EC2="http://127.0.0.1:1" AWS_ENDPOINT_URL_STS="$M" \
  "$bin" api sts GetCallerIdentity --region us-east-2

echo "== credential providers"
printf 'oidc.jwt.token\n' >"$tmp/web-token"
printf 'wrong.token\n' >"$tmp/bad-web-token"
base=$(stat_of "$port_main" web_identity)
expect "web identity: AssumeRoleWithWebIdentity (unsigned), then a call with its credentials" 0 \
  '<DescribeVpcsResponse' \
  clean AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/web-token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci \
  AWS_ROLE_SESSION_NAME=ci-run "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M"
same "web identity asked STS once" "$(stat_of "$port_main" web_identity)" $((base + 1))
expect "web identity via AWS_ENDPOINT_URL_STS, the default session name" 0 '<DescribeVpcsResponse' \
  clean AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/web-token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci \
  AWS_ENDPOINT_URL_STS="$M" AWS_ENDPOINT_URL_EC2="$M" "$bin" api ec2 DescribeVpcs --region us-east-2
expect "web identity refused: the STS error, exit 1" 1 \
  'web identity: AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/ci: InvalidIdentityToken' \
  clean AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/bad-web-token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci \
  "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M"
printf '[profile ci]\nweb_identity_token_file = %s\nrole_arn = arn:aws:iam::1:role/x\nregion = us-east-2\n' \
  "$tmp/web-token" >"$tmp/config-web"
expect "web identity from the profile" 0 '<DescribeVpcsResponse' \
  clean AWS_CONFIG_FILE="$tmp/config-web" "$bin" api ec2 DescribeVpcs --profile ci --endpoint-url "$M"

cat >"$tmp/credentials" <<EOF
[default]
aws_access_key_id = AKIDWRONG
aws_secret_access_key = wrong

[dev]
aws_access_key_id = $AK
aws_secret_access_key = $SK
EOF
cat >"$tmp/config" <<EOF
[default]
region = us-east-2

[profile cfg]
region = us-east-2
aws_access_key_id=$AK
aws_secret_access_key=$SK

[profile proc]
region = us-east-2
credential_process = $tmp/cred-proc.sh arg1

[profile badproc]
region = us-east-2
credential_process = $tmp/cred-fail.sh

[profile v2proc]
region = us-east-2
credential_process = /bin/echo {"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "B"}

[profile junkproc]
region = us-east-2
credential_process = /bin/echo not json
EOF
cat >"$tmp/cred-proc.sh" <<EOF
#!/bin/sh
[ "\$1" = arg1 ] || exit 3
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2099-01-01T00:00:00Z"}\n' '$AK' '$SK'
EOF
printf '#!/bin/sh\necho "no credentials for you" >&2\nexit 7\n' >"$tmp/cred-fail.sh"
chmod +x "$tmp/cred-proc.sh" "$tmp/cred-fail.sh"
FILES=(AWS_CONFIG_FILE="$tmp/config" AWS_SHARED_CREDENTIALS_FILE="$tmp/credentials")
expect "shared credentials file, --profile dev" 0 '<DescribeVpcsResponse' \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile dev --region us-east-2 --endpoint-url "$M"
expect "shared credentials file, AWS_PROFILE=dev" 0 '<DescribeVpcsResponse' \
  clean "${FILES[@]}" AWS_PROFILE=dev AWS_REGION=us-east-2 "$bin" api ec2 DescribeVpcs --endpoint-url "$M"
expect "shared credentials file [default] (wrong keys: the server says so)" 1 'AuthFailure' \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --endpoint-url "$M"
expect "--profile skips the environment's keys" 0 '<DescribeVpcsResponse' \
  clean "${FILES[@]}" AWS_ACCESS_KEY_ID=AKIDWRONG AWS_SECRET_ACCESS_KEY=x "$bin" api ec2 DescribeVpcs \
  --profile dev --region us-east-2 --endpoint-url "$M"
expect "the environment beats the shared files" 0 '<DescribeVpcsResponse' \
  clean "${FILES[@]}" "${ENVCREDS[@]}" "$bin" api ec2 DescribeVpcs --endpoint-url "$M"
expect "static keys in the config file ([profile cfg])" 0 '<DescribeVpcsResponse' \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile cfg --endpoint-url "$M"
expect "credential_process JSON (Version 1)" 0 '<DescribeVpcsResponse' \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile proc --endpoint-url "$M"
expect "a failing credential_process is an error naming it" 1 "credential_process '.*cred-fail.sh' failed \\(exit status 7\\)" \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile badproc --endpoint-url "$M"
expect "credential_process output must be Version 1" 1 'expected JSON with "Version": 1' \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile v2proc --endpoint-url "$M"
expect "credential_process output must be JSON" 1 'expected JSON with "Version": 1' \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile junkproc --endpoint-url "$M"
expect "an unknown --profile is a configuration error" 2 "profile 'nope' not found" \
  clean "${FILES[@]}" "$bin" api ec2 DescribeVpcs --profile nope --endpoint-url "$M"
printf '[default]\nregion = us-east-2\nthis line is not ini\n' >"$tmp/config-broken"
expect "a malformed config file names file and line" 2 "config-broken:3: expected 'key = value'" \
  clean "${ENVCREDS[@]}" AWS_CONFIG_FILE="$tmp/config-broken" "$bin" api ec2 DescribeVpcs --endpoint-url "$M"

base=$(stat_of "$port_main" container_creds)
CONT=(AWS_CONTAINER_CREDENTIALS_FULL_URI="$M/container/creds")
expect "container credentials (FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN)" 0 '<DescribeVpcsResponse' \
  clean "${CONT[@]}" AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer container-secret' "$bin" api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "$M"
printf 'Bearer container-secret\n' >"$tmp/container-token"
expect "container credentials (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" 0 '<DescribeVpcsResponse' \
  clean "${CONT[@]}" AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$tmp/container-token" "$bin" api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "$M"
same "container endpoint asked twice" "$(stat_of "$port_main" container_creds)" $((base + 2))
expect "container credentials with a wrong token: an error" 1 'container credentials: HTTP 401' \
  clean "${CONT[@]}" AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer nope' "$bin" api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "$M"
expect "container FULL_URI off the machine over http is refused" 1 'not a loopback or container address' \
  clean AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds "$bin" api ec2 DescribeVpcs \
  --region us-east-2 --endpoint-url "$M"

base=$(stat_of "$port_main" imds_token)
expect "IMDSv2 (token PUT, role GET) at AWS_EC2_METADATA_SERVICE_ENDPOINT" 0 '<DescribeVpcsResponse' \
  env -i PATH="$PATH" HOME="$tmp/home" AWS_CONFIG_FILE="$tmp/no" AWS_SHARED_CREDENTIALS_FILE="$tmp/no" \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="$M/" "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M"
same "IMDS token fetched once" "$(stat_of "$port_main" imds_token)" $((base + 1))
expect "AWS_EC2_METADATA_DISABLED=true: the error lists every place it looked" 1 \
  'no AWS credentials found; looked in: environment \(AWS_ACCESS_KEY_ID\); web identity .*; shared credentials file \(.*no-credentials \[default\]\); credential_process of profile default; shared config file \(.*no-config \[profile default\]\); container credentials .*; instance metadata \(disabled by AWS_EC2_METADATA_DISABLED\)' \
  clean "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M"
expect "no IMDS listening: 'not found' after the endpoint it tried" 1 \
  'instance metadata \(IMDSv2 at http://127.0.0.1:1\)' \
  env -i PATH="$PATH" HOME="$tmp/home" AWS_CONFIG_FILE="$tmp/no" AWS_SHARED_CREDENTIALS_FILE="$tmp/no" \
  AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 "$bin" api ec2 DescribeVpcs --region us-east-2 \
  --endpoint-url "$M"

# Caching and refresh, through several calls of one client.
S="http://127.0.0.1:$port_short"
base=$(stat_of "$port_main" container_creds)
expect "cached: 3 calls, one credential fetch (expiry in 1 h)" 0 'ok=3 failed=0' \
  clean "${CONT[@]}" AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer container-secret' "$tool" calls --sequential \
  --count 3 --region us-east-2 --endpoint-url "$M"
same "credentials cached across calls" "$(stat_of "$port_main" container_creds)" $((base + 1))
expect "refreshed: 3 calls with credentials expiring within 5 min" 0 'ok=3 failed=0' \
  clean AWS_CONTAINER_CREDENTIALS_FULL_URI="$S/container/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer c' \
  "$tool" calls --sequential --count 3 --region us-east-2 --endpoint-url "$S"
same "credentials refreshed before expiry" "$(stat_of "$port_short" container_creds)" 3

echo "== retries, clock skew, paging, concurrency"
fault "$port_main" '{"throttle": 2}'
expect "2 throttles (RequestLimitExceeded) then success" 0 'ok=1 failed=0 attempts=3' \
  clean "${ENVCREDS[@]}" "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20
fault "$port_main" '{"throttle": 10}'
expect "AWS_MAX_ATTEMPTS=3 gives up after 3 attempts" 1 'RequestLimitExceeded.*attempts=3' \
  clean "${ENVCREDS[@]}" AWS_MAX_ATTEMPTS=3 "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20
fault "$port_main" '{"throttle": 0}'
fault "$port_main" '{"status": 500, "count": 1}'
expect "HTTP 500 is retried" 0 'ok=1 failed=0 attempts=2' \
  clean "${ENVCREDS[@]}" "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20
fault "$port_main" '{"status": 429, "count": 4}'
expect "HTTP 429 is retried (default 5 attempts)" 0 'ok=1 failed=0 attempts=5' \
  clean "${ENVCREDS[@]}" "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20
fault "$port_main" '{"drop": 2}'
expect "dropped connections (network errors) are retried" 0 'ok=1 failed=0 attempts=3' \
  clean "${ENVCREDS[@]}" "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20
fault "$port_main" '{"hang": 1}'
expect "a server that stops answering: the attempt times out (total timeout) and is retried" 0 \
  'ok=1 failed=0 attempts=2' \
  clean "${ENVCREDS[@]}" "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20 --timeout-ms 500
fault "$port_main" '{"hang": 10}'
expect "every attempt timed out: an error naming the timeout after AWS_MAX_ATTEMPTS" 1 \
  'timed out after [0-9]+ milliseconds.*attempts=2' \
  clean "${ENVCREDS[@]}" AWS_MAX_ATTEMPTS=2 "$tool" calls --region us-east-2 --endpoint-url "$M" \
  --retry-base-ms 20 --timeout-ms 500
fault "$port_main" '{"hang": 0}'
expect "a non-retryable error is not retried" 1 'InvalidAction.*attempts=1' \
  clean "${ENVCREDS[@]}" "$tool" calls --action NoSuchAction --region us-east-2 --endpoint-url "$M" --retry-base-ms 20
fault "$port_main" '{"throttle": 1}'
out=$(clean "${ENVCREDS[@]}" "$bin" -vv api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M" 2>&1)
if [ "$(grep -c 'string to sign:' <<<"$out")" -eq 2 ] && grep -q 'retrying ec2 DescribeVpcs' <<<"$out" &&
  grep -q '<DescribeVpcsResponse' <<<"$out"; then
  ok "craftctl api retries a throttled call, re-signing each attempt"
else
  bad "retry through craftctl api: ${out:0:1500}"
fi
fault "$port_main" '{"throttle": 10}'
expect "throttled to the last attempt: the AWS error as is, exit 1" 1 \
  '^craftctl: RequestLimitExceeded: Request limit exceeded. \(request id req-[0-9a-f]+\)$' \
  clean "${ENVCREDS[@]}" AWS_MAX_ATTEMPTS=2 "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$M"
fault "$port_main" '{"throttle": 0}'
fault "$port_main" '{"skew": 3600}'
out=$(clean "${ENVCREDS[@]}" "$tool" calls --region us-east-2 --endpoint-url "$M" --retry-base-ms 20 2>&1)
if grep -qE 'clock is off by 3[56][0-9]{2} s' <<<"$out" && grep -q 'ok=1 failed=0 attempts=2' <<<"$out"; then
  ok "clock skew: corrected from the Date header and retried once"
else
  bad "clock skew: ${out:0:1500}"
fi
fault "$port_main" '{"skew": 0}'
expect "paging follows nextToken" 0 'pages=3 vpcs=5' \
  clean "${ENVCREDS[@]}" "$tool" paginate --max-results 2 --region us-east-2 --endpoint-url "$M"
expect "60 calls with 8 in flight on curl multi" 0 'ok=60 failed=0 attempts=60' \
  clean "${ENVCREDS[@]}" "$tool" calls --count 60 --in-flight 8 --region us-east-2 --endpoint-url "$M"
start_fake reuse --region us-east-2
expect "10 sequential calls of one client" 0 'ok=10 failed=0' \
  clean "${ENVCREDS[@]}" "$tool" calls --sequential --count 10 --region us-east-2 \
  --endpoint-url "http://127.0.0.1:$(cat "$tmp/reuse.port")"
same "connection reuse: one connection for 10 calls" "$(stat_of "$(cat "$tmp/reuse.port")" connections)" 1

echo "== end to end against the AWS simulator (tests/awssim, botocore-verified)"
SIM_AK=AKIDSIMEXAMPLE
SIM_SK='sim/Secret+Key/0123456789abcdefghij'
"$py" tests/awssim/awssim --port-file "$tmp/sim.port" --access-key "$SIM_AK" --secret-key "$SIM_SK" \
  --seed 7 >"$tmp/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 400); do
  [ -s "$tmp/sim.port" ] && break
  sleep 0.05
done
if [ ! -s "$tmp/sim.port" ]; then
  bad "awssim did not start: $(tail -5 "$tmp/sim.log")"
else
  SIM="http://127.0.0.1:$(cat "$tmp/sim.port")"
  SIMCREDS=(AWS_ACCESS_KEY_ID="$SIM_AK" AWS_SECRET_ACCESS_KEY="$SIM_SK")
  for v in 'craftech' '' 'a b&c=d/e+f' '日本語 😀 é' "it's \"quoted\" <x>" '*?%~' \
    "$(printf 'v%.0s' $(seq 255))"; do
    expect "awssim: DescribeVpcs Filter.1.Value.1='${v:0:16}' verifies" 0 '<DescribeVpcsResponse' \
      clean "${SIMCREDS[@]}" "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$SIM" \
      Filter.1.Name=tag:Name "Filter.1.Value.1=$v"
  done
  expect "awssim: a wrong secret is AuthFailure, exit 1" 1 \
    '^craftctl: AuthFailure: .*\(request id [0-9a-f-]+\)$' \
    clean AWS_ACCESS_KEY_ID="$SIM_AK" AWS_SECRET_ACCESS_KEY=not-the-secret "$bin" api ec2 DescribeVpcs \
    --region us-east-2 --endpoint-url "$SIM" Filter.1.Name=tag:Name Filter.1.Value.1=x
  # Temporary credentials (AssumeRole): with AWS_SESSION_TOKEN it verifies.
  xml=$(clean "${SIMCREDS[@]}" "$bin" api sts AssumeRole --region us-east-2 --endpoint-url "$SIM" \
    RoleArn=arn:aws:iam::123456789012:role/craft RoleSessionName=craft-test)
  read -r t_ak t_sk t_tok < <("$py" -c '
import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read())
ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
c = r.find("s:AssumeRoleResult/s:Credentials", ns)
print(c.find("s:AccessKeyId", ns).text, c.find("s:SecretAccessKey", ns).text, c.find("s:SessionToken", ns).text)
' <<<"$xml")
  if [ -n "${t_tok:-}" ]; then
    expect "awssim: DescribeVpcs with AWS_SESSION_TOKEN verifies" 0 '<DescribeVpcsResponse' \
      clean AWS_ACCESS_KEY_ID="$t_ak" AWS_SECRET_ACCESS_KEY="$t_sk" AWS_SESSION_TOKEN="$t_tok" \
      "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$SIM" \
      Filter.1.Name=tag:Name 'Filter.1.Value.1=tok en/+='
    expect "awssim: the same without the session token is refused" 1 '^craftctl: [A-Za-z]+: ' \
      clean AWS_ACCESS_KEY_ID="$t_ak" AWS_SECRET_ACCESS_KEY="$t_sk" "$bin" api ec2 DescribeVpcs \
      --region us-east-2 --endpoint-url "$SIM"
    leak=$(clean AWS_ACCESS_KEY_ID="$t_ak" AWS_SECRET_ACCESS_KEY="$t_sk" AWS_SESSION_TOKEN="$t_tok" \
      "$bin" -vv api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$SIM" 2>&1 >/dev/null)
    if grep -qF -- "$t_sk" <<<"$leak" || grep -qF -- "$t_tok" <<<"$leak"; then
      bad "awssim: -vv leaks the temporary secret or token"
    else
      ok "awssim: -vv with temporary credentials shows neither secret nor token"
    fi
  else
    bad "awssim: AssumeRole gave no credentials: ${xml:0:500}"
  fi
  # Web identity: a well-formed JWT, exchanged by the unsigned STS call.
  "$py" -c '
import base64, json, time
b = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
print(b({"alg": "RS256", "typ": "JWT"}) + "." + b({"iss": "https://token.actions.githubusercontent.com",
      "sub": "repo:craftech/craftctl:ref:refs/heads/main", "aud": "sts.amazonaws.com",
      "exp": int(time.time()) + 600, "iat": int(time.time())}) + ".c2lnbmF0dXJl")' >"$tmp/jwt"
  expect "awssim: web identity (GitHub-style OIDC JWT) then DescribeVpcs" 0 '<DescribeVpcsResponse' \
    clean AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/jwt" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci \
    "$bin" api ec2 DescribeVpcs --region us-east-2 --endpoint-url "$SIM"
  # Role profiles: role_arn + source_profile (signed AssumeRole), chained.
  cat >"$tmp/sim-config" <<EOF
[profile deploy]
region = us-east-2
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = base
role_session_name = craft-deploy
[profile chained]
region = us-east-2
role_arn = arn:aws:iam::123456789012:role/second
source_profile = deploy
[profile norole]
region = us-east-2
role_arn = arn:aws:iam::123456789012:role/x
[profile other-account]
region = us-east-2
role_arn = arn:aws:iam::999999999999:role/x
source_profile = base
EOF
  printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$SIM_AK" "$SIM_SK" >"$tmp/sim-credentials"
  SIMFILES=(AWS_CONFIG_FILE="$tmp/sim-config" AWS_SHARED_CREDENTIALS_FILE="$tmp/sim-credentials")
  expect "awssim: role profile (role_arn + source_profile) via signed AssumeRole" 0 '<DescribeVpcsResponse' \
    clean "${SIMFILES[@]}" "$bin" api ec2 DescribeVpcs --profile deploy --endpoint-url "$SIM"
  expect "awssim: a chained role profile" 0 '<Arn>arn:aws:sts::123456789012:assumed-role/second/' \
    clean "${SIMFILES[@]}" "$bin" api sts GetCallerIdentity --profile chained --endpoint-url "$SIM"
  expect "awssim: role_arn without a source is a configuration error" 2 "profile 'norole': role_arn needs source_profile" \
    clean "${SIMFILES[@]}" "$bin" api ec2 DescribeVpcs --profile norole --endpoint-url "$SIM"
  expect "awssim: AssumeRole refused (other account) surfaces STS's error" 1 'assume role: AssumeRole for arn:aws:iam::999999999999:role/x: AccessDenied' \
    clean "${SIMFILES[@]}" "$bin" api ec2 DescribeVpcs --profile other-account --endpoint-url "$SIM"
  curl -s -X POST -d '{"throttle_rate": 0.3, "seed": 11}' "$SIM/_awssim/faults" >/dev/null
  expect "awssim: 40 concurrent calls at 30% throttling all succeed by retrying" 0 'ok=40 failed=0' \
    clean "${SIMCREDS[@]}" AWS_MAX_ATTEMPTS=12 "$tool" calls --count 40 --in-flight 8 --region us-east-2 \
    --endpoint-url "$SIM" --retry-base-ms 20
  curl -s -X POST -d '{"throttle_rate": 0}' "$SIM/_awssim/faults" >/dev/null
  expect "awssim: paging DescribeVpcs with MaxResults=5" 0 'pages=1 vpcs=1' \
    clean "${SIMCREDS[@]}" "$tool" paginate --max-results 5 --region us-east-2 --endpoint-url "$SIM"
fi

echo "== fuzz smoke (libFuzzer + ASan/UBSan)"
for f in xml profile sigv4; do
  mkdir -p "$tmp/corpus-$f"
  if out=$("$fuzz_dir/$f" -runs=20000 -max_total_time=20 "$tmp/corpus-$f" \
    "tests/fuzz/$f/corpus" 2>&1); then
    ok "fuzz_$f: $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' <<<"$out" | head -1)"
  else
    bad "fuzz_$f crashed: $(tail -30 <<<"$out")"
  fi
done

echo
echo "aws: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
