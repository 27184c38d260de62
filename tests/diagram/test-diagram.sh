#!/usr/bin/env bash
# craftctl diagram: the planned picture of the default stack and of 1- and
# 3-zone variants, SVG and PNG through Graphviz, the errors (unknown format,
# broken stack or compose file, no graphviz), the fallback without
# credentials, docs/stack.svg against what the tool draws today, and the
# live picture of a stack provisioned on the AWS simulator.
# The simulator runs on a free port and is stopped by its PID.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
bin=$top/${CRAFTCTL:-build/craftctl}
svgcheck="/usr/bin/python3 $top/tests/diagram/svgcheck.py"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/craft-diagram-XXXXXX")
pass=0
fail=0
# shellcheck source=tests/lib/sandbox.sh
. tests/lib/sandbox.sh

cleanup() {
  sandbox_stop_pid "$SIM_PID"
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# A private environment: no credentials, profiles or instance metadata.
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state
unset XDG_CONFIG_HOME AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
  AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2 AWS_REGION AWS_DEFAULT_REGION \
  AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI GITHUB_ACTIONS CRAFTCTL_CHECKIP_URL
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$tmp/none AWS_SHARED_CREDENTIALS_FILE=$tmp/none
mkdir -p "$HOME"

# zone_counts FILE: "N1 N2 ..." subnet nodes declared in each cluster_az_N.
zone_counts() {
  awk '/subgraph cluster_az_[0-9]+ \{/ { z = $2; sub("cluster_az_", "", z); inz = 1; next }
       inz && /^\t\t\}$/ { inz = 0; next }
       inz && /^\t+subnet_(public|private)_[0-9]+ \[/ { n[z]++ }
       END { for (i = 1; i in n; i++) printf "%s%d", (i > 1 ? " " : ""), n[i]; print "" }' "$1"
}

# has FILE NAME FIXED-STRING...: every string is in FILE.
has() {
  local f=$1 name=$2 missing=""
  shift 2
  for s in "$@"; do
    grep -qF -- "$s" "$f" || missing="$missing [$s]"
  done
  if [ -z "$missing" ]; then ok "$name"; else bad "$name: missing$missing"; fi
}

# ---- the default stack (the repository's craftctl.yaml and docker-compose.yml), planned
out=$("$bin" -c craftctl.yaml diagram --offline 2>"$tmp/err" >"$tmp/default.dot")
rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/default.dot" ] && [ ! -s "$tmp/err" ]; then
  ok "offline DOT of the default stack (exit 0, nothing on stderr)"
else
  bad "offline DOT: exit $rc: $out $(cat "$tmp/err")"
fi
has "$tmp/default.dot" "title says planned" "planned: from craftctl.yaml alone, region us-east-2"
has "$tmp/default.dot" "VPC with its CIDR" "subgraph cluster_vpc {" "<b>VPC</b><br/>craftech-main" \
  "<b>10.20.0.0/16</b>"
has "$tmp/default.dot" "subnets with carved CIDRs" "craftech-public-1<br/><b>10.20.0.0/20</b>" \
  "craftech-public-2<br/><b>10.20.16.0/20</b>" "craftech-private-1<br/><b>10.20.128.0/20</b>" \
  "craftech-private-2<br/><b>10.20.144.0/20</b>"
if [ "$(zone_counts "$tmp/default.dot")" = "2 2" ]; then
  ok "two zones, a public and a private subnet in each"
else
  bad "default stack zones: '$(zone_counts "$tmp/default.dot")', want '2 2'"
fi
has "$tmp/default.dot" "internet gateway" "igw [label=<<b>internet gateway</b>" "internet -> igw"
has "$tmp/default.dot" "public route table and its routes" "<b>public route table</b>" \
  '<td align="left">10.20.0.0/16</td><td>→</td><td align="left">local</td>' \
  '<td align="left">0.0.0.0/0</td><td>→</td><td align="left">internet gateway</td>' \
  'rtb -> igw [label="0.0.0.0/0"' "rtb -> subnet_public_1 " "rtb -> subnet_public_2 "
has "$tmp/default.dot" "security group ingress: 22 from ssh_from, 80/443 from http_from" \
  "<b>security group</b>" \
  '<td align="left">tcp 22</td><td align="left">your address/32</td>' \
  '<td align="left">tcp 80</td><td align="left">0.0.0.0/0</td>' \
  '<td align="left">tcp 443</td><td align="left">0.0.0.0/0</td>'
has "$tmp/default.dot" "instance: type, image, root volume" "<b>EC2 instance</b><br/>craftech-server" \
  "t3.medium · ubuntu-24.04" "root volume 30 GiB gp3, encrypted" "IMDSv2 required" \
  "subgraph cluster_subnet_public_1 {" "subgraph cluster_sg {"
has "$tmp/default.dot" "Elastic IP" "eip [label=<<b>Elastic IP</b>" 'eip -> instance [label="associated"' \
  'internet -> eip [label="tcp 22, 80, 443"'
has "$tmp/default.dot" "the compose services behind nginx" "subgraph cluster_compose {" \
  "svc_db [label=<<b>db</b>" "svc_backend [label=<<b>backend</b>" \
  "svc_frontend [label=<<b>frontend</b>" "svc_nginx [label=<<b>nginx</b>" \
  "publishes host :80 → 8080" 'instance -> svc_nginx [label="http :80"' \
  "svc_backend -> svc_db" "svc_nginx -> svc_backend" "svc_nginx -> svc_frontend"
n=$(grep -c "publishes host" "$tmp/default.dot")
if [ "$n" -eq 1 ]; then ok "only nginx publishes a port"; else bad "$n services publish a port"; fi

# ---- 1 and 3 zones (same compose file, stack files beside a copy of it)
cp docker-compose.yml "$tmp/docker-compose.yml"
for z in 1 3; do
  cat >"$tmp/az$z.yaml" <<EOF
stack: az$z
region: eu-west-1
network: { cidr: 10.$z.0.0/16, availability_zones: $z }
EOF
  if "$bin" -c "$tmp/az$z.yaml" diagram --offline >"$tmp/az$z.dot" 2>"$tmp/err"; then
    want=$(printf '2 %.0s' $(seq "$z") | sed 's/ $//')
    got=$(zone_counts "$tmp/az$z.dot")
    nassoc=$(grep -c '^	rtb -> subnet_public_' "$tmp/az$z.dot")
    if [ "$got" = "$want" ] && [ "$nassoc" -eq "$z" ] && grep -qF "svc_nginx" "$tmp/az$z.dot"; then
      ok "$z-zone stack: subnet nodes per zone '$got', $nassoc route table associations"
    else
      bad "$z-zone stack: zones '$got' (want '$want'), associations $nassoc"
    fi
  else
    bad "$z-zone stack: $(cat "$tmp/err")"
  fi
done
has "$tmp/az3.dot" "3-zone CIDRs" "az3-public-3<br/><b>10.3.32.0/20</b>" \
  "az3-private-3<br/><b>10.3.160.0/20</b>" "region eu-west-1"

# ---- SVG and PNG through Graphviz
if "$bin" -c craftctl.yaml diagram --offline --format svg -o "$tmp/default.svg" 2>"$tmp/err" &&
  r=$($svgcheck valid "$tmp/default.svg" 2>&1); then
  ok "svg: dot accepts the DOT and writes a valid SVG ($r)"
else
  bad "svg: $(cat "$tmp/err") ${r:-}"
fi
if dot -Tsvg "$tmp/az3.dot" -o "$tmp/az3.svg" 2>"$tmp/err" && r=$($svgcheck valid "$tmp/az3.svg" 2>&1); then
  ok "dot -Tsvg accepts the 3-zone DOT ($r)"
else
  bad "dot -Tsvg on the 3-zone DOT: $(cat "$tmp/err") ${r:-}"
fi
png_sig() { head -c 8 "$1" | od -An -tx1 | tr -d ' \n'; }
"$bin" -c craftctl.yaml diagram --offline --format png -o "$tmp/default.png" 2>"$tmp/err"
if [ "$(png_sig "$tmp/default.png")" = "89504e470d0a1a0a" ] && [ "$(stat -c %s "$tmp/default.png")" -gt 10000 ]; then
  ok "png (-o FILE) starts with the PNG signature"
else
  bad "png: $(cat "$tmp/err")"
fi
"$bin" -c craftctl.yaml diagram --offline --format png >"$tmp/stdout.png" 2>"$tmp/err"
if [ "$(png_sig "$tmp/stdout.png")" = "89504e470d0a1a0a" ] && cmp -s "$tmp/stdout.png" "$tmp/default.png"; then
  ok "png on stdout is the same picture"
else
  bad "png on stdout: $(cat "$tmp/err")"
fi

# ---- every stack file of the repository draws (the examples too)
for f in examples/*.yaml examples/*/craftctl.yaml; do
  [ -f "$f" ] || continue
  if "$bin" -c "$f" diagram --offline --format svg -o "$tmp/example.svg" 2>"$tmp/err" &&
    r=$($svgcheck valid "$tmp/example.svg" 2>&1) && ! grep -q "not found" "$tmp/err"; then
    ok "$f draws ($r)"
  else
    bad "$f: $(cat "$tmp/err") ${r:-}"
  fi
done

# ---- errors
out=$("$bin" -c craftctl.yaml diagram --offline --format jpeg 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -qF "unknown format 'jpeg'" <<<"$out"; then
  ok "unknown --format exits 2 naming it"
else
  bad "unknown format: exit $rc: $out"
fi
printf 'stack: broken\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n' >"$tmp/broken.yaml"
out=$("$bin" -c "$tmp/broken.yaml" diagram --offline 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -qE "^craftctl: $tmp/broken.yaml: line 4, column 3: " <<<"$out"; then
  ok "broken stack file exits 2 with file, line and column"
else
  bad "broken stack file: exit $rc: $out"
fi
printf 'stack: bad\nregion: us-east-2\ndeploy: { compose_file: bad-compose.yml }\n' >"$tmp/badc.yaml"
printf 'services:\n  web:\n    image: nginx\n    depends_on: [db]\n' >"$tmp/bad-compose.yml"
out=$("$bin" -c "$tmp/badc.yaml" diagram --offline 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -qF "'$tmp/bad-compose.yml': line 4, column 17: service 'web' depends on 'db'" <<<"$out"; then
  ok "broken compose file exits 2 with file, line and column"
else
  bad "broken compose file: exit $rc: $out"
fi
printf 'stack: nocompose\nregion: us-east-2\ndeploy: { compose_file: gone.yml }\n' >"$tmp/noc.yaml"
"$bin" -c "$tmp/noc.yaml" diagram --offline >"$tmp/noc.dot" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && grep -qF "compose file '$tmp/gone.yml' not found" "$tmp/err" &&
  grep -qF "gone.yml not found" "$tmp/noc.dot"; then
  ok "missing compose file: a warning and a note in the picture"
else
  bad "missing compose file: exit $rc: $(cat "$tmp/err")"
fi
out=$(PATH=/nonexistent "$bin" -c craftctl.yaml diagram --offline --format svg 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -qF "install graphviz" <<<"$out"; then
  ok "svg without graphviz's dot exits 1 telling to install graphviz"
else
  bad "no dot: exit $rc: $out"
fi
if PATH=/nonexistent "$bin" -c craftctl.yaml diagram --offline | cmp -s - "$tmp/default.dot"; then
  ok "DOT needs no graphviz"
else
  bad "DOT without graphviz differs or fails"
fi
out=$("$bin" -c craftctl.yaml diagram --offline -o "$tmp/no/such/dir/x.dot" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -qF "cannot write '$tmp/no/such/dir/x.dot'" <<<"$out"; then
  ok "unwritable -o FILE exits 1 naming it"
else
  bad "unwritable output: exit $rc: $out"
fi

out=$("$bin" --json -c craftctl.yaml diagram --offline 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -qF "with --json, stdout carries events: write the picture with -o FILE" <<<"$out"; then
  ok "--json without -o FILE exits 2 (stdout is for events)"
else
  bad "--json without -o: exit $rc: $out"
fi
out=$("$bin" --json -c craftctl.yaml diagram --offline -o "$tmp/json.dot" 2>/dev/null)
if [ "$out" = '{"event":"result","message":"diagram written","file":"'"$tmp"'/json.dot","format":"dot","view":"planned"}' ] &&
  cmp -s "$tmp/json.dot" "$tmp/default.dot"; then
  ok "--json -o FILE: the picture in FILE, one result event on stdout"
else
  bad "--json -o FILE: $out"
fi

# ---- no credentials anywhere: the planned picture, said so on stderr
"$bin" -c craftctl.yaml diagram >"$tmp/nocred.dot" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && grep -qF "no AWS credentials found" "$tmp/err" && cmp -s "$tmp/nocred.dot" "$tmp/default.dot"; then
  ok "without credentials: the planned picture, and a note saying why"
else
  bad "without credentials: exit $rc: $(cat "$tmp/err")"
fi

if [ -z "$(ls -A "$HOME")" ] && [ ! -e "$XDG_STATE_HOME" ]; then
  ok "diagram writes nothing but its output (no key, no state, no lock)"
else
  bad "diagram left files behind: $(find "$HOME" "$XDG_STATE_HOME" 2>/dev/null | head -5)"
fi

# ---- docs/stack.svg is what the tool draws today for the default stack
if [ ! -f docs/stack.svg ]; then
  bad "docs/stack.svg is missing (make diagram-docs)"
elif r=$($svgcheck same docs/stack.svg "$tmp/default.svg" 2>&1); then
  ok "docs/stack.svg is what 'craftctl diagram' draws today: $r"
else
  bad "docs/stack.svg is stale; regenerate it with 'make diagram-docs': $r"
fi

# ---- live: the stack on the AWS simulator
export AWS_ACCESS_KEY_ID=AKIDDIAGRAMTEST AWS_SECRET_ACCESS_KEY=diagram-test-secret
if ! sandbox_sim_start "$tmp" --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
  --boot-seconds 1 --terminate-seconds 1 2>/dev/null; then
  bad "the AWS simulator did not start: $(cat "$tmp/sim.log")"
else
  ep=$SIM_URL
  export CRAFTCTL_CHECKIP_URL="$ep/_awssim/checkip"
  ncalls() { curl -fsS "$ep/_awssim/calls" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
  cat >"$tmp/live.yaml" <<EOF
stack: diag
region: us-east-2
network: { cidr: 10.42.0.0/16, availability_zones: 2 }
EOF
  cc() { "$bin" --endpoint-url "$ep" -c "$tmp/live.yaml" "$@"; }

  before=$(ncalls)
  cc diagram --offline >"$tmp/off.dot" 2>"$tmp/err"
  if [ "$(ncalls)" = "$before" ] && grep -qF "planned:" "$tmp/off.dot"; then
    ok "--offline with credentials asks AWS nothing"
  else
    bad "--offline made AWS calls ($before -> $(ncalls)) or is not planned"
  fi
  cc diagram >"$tmp/empty.dot" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 0 ] && grep -qF "live: discovered in us-east-2, 0 of 12 resources exist" "$tmp/empty.dot" &&
    [ "$(grep -c '<i>not created</i>' "$tmp/empty.dot")" -eq 10 ]; then
    ok "live before provision: nothing exists, every resource drawn as not created"
  else
    bad "live before provision: exit $rc: $(cat "$tmp/err") $(grep -o 'live: [^<]*' "$tmp/empty.dot")"
  fi
  if out=$(cc provision 2>&1); then
    inst=$(sed -n 's/^  instance_id *\(i-[0-9a-f]*\)$/\1/p' <<<"$out")
    addr=$(sed -n 's/^  public_ip *\([0-9.]*\)$/\1/p' <<<"$out")
    vpc=$(cc --region us-east-2 api ec2 DescribeVpcs Filter.1.Name=tag:craftctl:stack \
      Filter.1.Value.1=diag 2>&1 | grep -o '<vpcId>vpc-[0-9a-f]*</vpcId>' | sort -u | grep -o 'vpc-[0-9a-f]*')
    subnets=$(cc --region us-east-2 api ec2 DescribeSubnets Filter.1.Name=tag:craftctl:stack \
      Filter.1.Value.1=diag 2>&1 | grep -o '<subnetId>subnet-[0-9a-f]*</subnetId>' | grep -o 'subnet-[0-9a-f]*' | sort -u)
    # the picture needs no address lookup (ssh_from: auto): it shows what AWS has
    CRAFTCTL_CHECKIP_URL=http://127.0.0.1:1/ cc diagram >"$tmp/live.dot" 2>"$tmp/err"
    rc=$?
    missing=""
    for s in $subnets; do grep -qF "$s" "$tmp/live.dot" || missing="$missing $s"; done
    if [ $rc -eq 0 ] && [ -n "$vpc" ] && grep -qF "$vpc" "$tmp/live.dot" && [ -n "$inst" ] &&
      grep -qF "$inst · running" "$tmp/live.dot" && [ -n "$addr" ] && grep -qF "<b>$addr</b>" "$tmp/live.dot" &&
      [ "$(wc -w <<<"$subnets")" -eq 4 ] && [ -z "$missing" ]; then
      ok "live after provision shows the VPC id $vpc, 4 subnet ids, instance $inst running, address $addr"
    else
      bad "live after provision: exit $rc vpc='$vpc' inst='$inst' addr='$addr' subnets missing:$missing $(cat "$tmp/err")"
    fi
    has "$tmp/live.dot" "live title and zone names" "live: discovered in us-east-2, 12 of 12 resources exist" \
      "availability zone 1</b> · us-east-2a" "availability zone 2</b> · us-east-2b"
    if [ "$(zone_counts "$tmp/live.dot")" = "2 2" ] && ! grep -qF "not created" "$tmp/live.dot" &&
      grep -qF '<td align="left">tcp 22</td><td align="left">127.0.0.1/32</td>' "$tmp/live.dot"; then
      ok "live: every resource exists; the ssh rule AWS has (127.0.0.1/32, from provision's lookup)"
    else
      bad "live: zones '$(zone_counts "$tmp/live.dot")' or missing resources or rules"
    fi
    if cc diagram --format svg -o "$tmp/live.svg" 2>"$tmp/err" && $svgcheck valid "$tmp/live.svg" >/dev/null; then
      ok "live svg is valid"
    else
      bad "live svg: $(cat "$tmp/err")"
    fi
    # README's `craftctl destroy` (asks first): on a terminal, typing yes.
    out=$(printf 'yes\n' | script -qec "$bin --endpoint-url $ep -c $tmp/live.yaml destroy" /dev/null 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -q "destroy 12 resources of stack 'diag'? type 'yes' to confirm" <<<"$out" &&
      grep -q "destroy complete: 12 deleted" <<<"$out"; then
      ok "destroy on a terminal asks, and 'yes' deletes all 12 resources"
    else
      bad "interactive destroy: exit $rc: $out"
    fi
    cc diagram >"$tmp/gone.dot" 2>"$tmp/err"
    if grep -qF "0 of 12 resources exist" "$tmp/gone.dot" && [ -n "$vpc" ] && ! grep -qF "$vpc" "$tmp/gone.dot"; then
      ok "live after destroy: nothing exists"
    else
      bad "live after destroy: $(grep -o 'live: [^<]*' "$tmp/gone.dot") $(cat "$tmp/err")"
    fi
  else
    bad "provision on the simulator failed: $out"
  fi
  AWS_SECRET_ACCESS_KEY=wrong "$bin" --endpoint-url "$ep" -c "$tmp/live.yaml" diagram >/dev/null 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 1 ] && grep -qF "cannot discover stack 'diag' (--offline draws the stack file alone)" "$tmp/err"; then
    ok "wrong credentials: exit 1 with the AWS error, no silent fallback"
  else
    bad "wrong credentials: exit $rc: $(cat "$tmp/err")"
  fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
