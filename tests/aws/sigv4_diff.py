#!/usr/bin/python3
"""Differential test: craftctl's SigV4 signer against botocore's SigV4Auth.

Generates random Query-API requests (random parameter names and values:
Unicode, spaces, every reserved character, empty and long values; header
names in shuffled case and order, duplicate headers, padded values; with
and without a session token; POST form bodies and GET query strings), has
both signers sign each one for the same instant, and requires identical
Authorization headers, X-Amz-Date and form bodies.

usage: sigv4_diff.py --tool build/tests/awstool [--count N] [--seed S]
Exit status 0 only when every request agreed.
"""
import argparse
import json
import random
import subprocess
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

RESERVED = "!#$&'()*+,/:;=?@[]% \"<>\\^`{|}"
UNICODE = ["é", "ü", "ß", "ñ", "ሴ", "日本語", "中文", "Ωμέγα", "😀", "🚀", "\u0301", "\u00a0",
           "\u2028", "\ufeff", "ﬁ", "𝔘𝔫𝔦", "עברית", "العربية"]
NAMES = ["Filter.{n}.Name", "Filter.{n}.Value.{m}", "TagSpecification.{n}.Tag.{m}.Key",
         "TagSpecification.{n}.Tag.{m}.Value", "InstanceId.{n}", "VpcId", "CidrBlock",
         "DryRun", "MaxResults", "NextToken", "ClientToken", "UserData", "GroupDescription",
         "IpPermissions.{n}.IpRanges.{m}.CidrIp", "RoleSessionName", "WebIdentityToken"]
SERVICES = ["ec2", "sts", "iam", "sqs", "monitoring", "elasticloadbalancing"]
REGIONS = ["us-east-1", "us-east-2", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1",
           "local"]
HEADER_NAMES = ["Content-Type", "X-Amz-Target", "X-Custom-Header", "My-Header1", "Accept",
                "X-Amz-Meta-Key", "Cache-Control", "X-Trace-Thing", "Content-Encoding"]
PATHS = ["/", "/", "/", "/", "/foo/bar", "/a b/c", "/ü/x/../y", "//double//slash//", "/./x/",
         "/100%/", "/~user/-_./"]


def rand_text(rng, maxlen):
    kind = rng.random()
    if kind < 0.08:
        return ""
    if kind < 0.14:
        return "x" * rng.randint(1000, 5000)  # long
    if kind < 0.2:
        return " " * rng.randint(1, 3) + "padded  value " + " " * rng.randint(1, 3)
    out = []
    for _ in range(rng.randint(1, maxlen)):
        r = rng.random()
        if r < 0.35:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
        elif r < 0.6:
            out.append(rng.choice(RESERVED))
        elif r < 0.75:
            out.append(rng.choice(UNICODE))
        elif r < 0.85:
            out.append(rng.choice("-_.~"))
        elif r < 0.92:
            out.append(chr(rng.randint(1, 31)))
        else:
            out.append(chr(rng.randint(0x80, 0x2fff)))
    return "".join(out)


def rand_header_value(rng):
    parts = []
    for _ in range(rng.randint(1, 5)):
        word = "".join(rng.choice("abcdefXYZ0123456789-/=+;,:\"'()") for _ in range(
            rng.randint(1, 8)))
        parts.append(word)
    seps = [" ", "  ", "\t", " \t ", "   "]
    v = rng.choice(seps).join(parts)
    if rng.random() < 0.4:
        v = rng.choice(seps) + v
    if rng.random() < 0.4:
        v = v + rng.choice(seps)
    return v


def shuffle_case(rng, s):
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in s)


def make_request(rng, i):
    service = rng.choice(SERVICES)
    region = rng.choice(REGIONS)
    host = f"{service}.{region}.amazonaws.com" if rng.random() < 0.8 else \
        f"127.0.0.1:{rng.randint(1024, 65535)}"
    method = "GET" if rng.random() < 0.2 else "POST"
    params = [["Action", rng.choice(["DescribeVpcs", "RunInstances", "GetCallerIdentity"])],
              ["Version", "2016-11-15"]]
    for _ in range(rng.randint(0, 12)):
        name = rng.choice(NAMES).format(n=rng.randint(1, 20), m=rng.randint(1, 20))
        if rng.random() < 0.15:
            name = rand_text(rng, 12) or "K"
        params.append([name, rand_text(rng, 40)])
    headers = []
    if method == "POST":
        headers.append([shuffle_case(rng, "Content-Type"),
                        "application/x-www-form-urlencoded; charset=utf-8"])
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(HEADER_NAMES)
        if name.lower() == "content-type" and method == "POST":
            continue
        headers.append([shuffle_case(rng, name), rand_header_value(rng)])
    if rng.random() < 0.2 and headers:
        # a duplicate header, in another case
        dup = rng.choice(headers)
        headers.append([shuffle_case(rng, dup[0]), rand_header_value(rng)])
    if rng.random() < 0.7:
        headers.append([shuffle_case(rng, "Host"), host])
    rng.shuffle(headers)
    token = None
    if rng.random() < 0.5:
        token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789+/=") for _ in range(rng.randint(16, 900)))
    return {
        "id": i, "method": method, "host": host, "path": rng.choice(PATHS),
        "headers": headers, "params": params, "service": service, "region": region,
        "ak": "AKID" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
        "sk": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789+/") for _ in range(40)),
        "token": token,
        "when": rng.randint(1420070400, 1893456000),  # 2015 .. 2030
    }


def botocore_sign(req):
    body = percent_encode_sequence(req["params"])
    url = "https://" + req["host"] + req["path"]
    if req["method"] == "GET":
        url += "?" + body
        data = b""
    else:
        data = body.encode()
    r = AWSRequest(method=req["method"], url=url, data=data)
    for name, value in req["headers"]:
        r.headers[name] = value  # HTTPHeaders keeps duplicates in order
    ts = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(req["when"]))
    signer = SigV4Auth(Credentials(req["ak"], req["sk"], req["token"]), req["service"],
                       req["region"])
    # SigV4Auth.add_auth, with the instant fixed instead of utcnow().
    r.context["timestamp"] = ts
    signer._modify_request_before_signing(r)
    canonical = signer.canonical_request(r)
    sts = signer.string_to_sign(r, canonical)
    sig = signer.signature(sts, r)
    signer._inject_signature_to_request(r, sig)
    return body, r.headers["X-Amz-Date"], r.headers["Authorization"], canonical


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    reqs = [make_request(rng, i) for i in range(args.count)]
    feed = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reqs)
    proc = subprocess.run([args.tool, "sign"], input=feed.encode(), capture_output=True,
                          check=False)
    if proc.returncode != 0:
        print(f"differential: the C signer failed: {proc.stderr.decode(errors='replace')}")
        return 1
    outs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    if len(outs) != len(reqs):
        print(f"differential: {len(outs)} answers for {len(reqs)} requests")
        return 1
    same = 0
    shown = 0
    stats = {"token": 0, "get": 0, "unicode": 0, "empty": 0, "long": 0, "dup": 0}
    for req, out in zip(reqs, outs):
        body, amz_date, auth, canonical = botocore_sign(req)
        ok = (body == out["body"] and amz_date == out["amz_date"]
              and auth == out["authorization"])
        if ok:
            same += 1
        elif shown < 3:
            shown += 1
            print(f"MISMATCH request {req['id']} (seed {seed}):")
            print(json.dumps(req, ensure_ascii=False)[:2000])
            print("botocore:", auth, "\ncraftctl:", out["authorization"])
            if body != out["body"]:
                print("body differs:\n  botocore:", body[:500], "\n  craftctl:", out["body"][:500])
            print("--- botocore canonical\n" + canonical + "\n--- craftctl canonical\n"
                  + out["canonical"])
        stats["token"] += bool(req["token"])
        stats["get"] += req["method"] == "GET"
        vals = [v for _, v in req["params"]]
        stats["unicode"] += any(any(ord(c) > 127 for c in v) for v in vals)
        stats["empty"] += any(v == "" for v in vals)
        stats["long"] += any(len(v) >= 1000 for v in vals)
        names = [n.lower() for n, _ in req["headers"]]
        stats["dup"] += len(names) != len(set(names))
    print(f"differential: {same} of {len(reqs)} identical (seed {seed}; with token "
          f"{stats['token']}, GET {stats['get']}, unicode {stats['unicode']}, empty value "
          f"{stats['empty']}, long value {stats['long']}, duplicate header {stats['dup']})")
    return 0 if same == len(reqs) else 1


if __name__ == "__main__":
    sys.exit(main())
