#!/usr/bin/python3
"""Differential test of the protocol serializers and the signer.

    protodiff.py --driver build/tests/awsproto-driver [--count N] [--seed S]
    protodiff.py --gen-only [--count N] [--seed S]     (the requests, for the bench)

Makes random valid requests for every operation whose input craftctl
models (lib/aws/models/ and tests/awsproto/models/, as tools/awsmodel.py
--list says), across all five protocols, from botocore's own models:
nested structures, lists (empty too), maps, enums, timestamps as text and as
epoch seconds, blobs, Unicode and reserved characters, absent idempotency
tokens, Route 53 ids as its answers spell them ("/hostedzone/Z1"), with and
without a session token. The C driver serializes and signs
each; botocore serializes each (botocore.serialize, with its validator) and
signs it (botocore.auth.SigV4Auth) for the same credentials and instant.

Required, byte for byte: method, path, query string, every header, the
canonical request, the string to sign, the signature and the Authorization
header; and the body for the form-encoded protocols (ec2, query). A JSON or
XML body is written by cJSON or libxml2, whose spelling differs from
Python's json.dumps (", " separators, \\u escapes) and ElementTree
(' quotes in the declaration, "<a />"): those bodies must be equal as
documents (JSON: same members in the same order, same values; XML: the
same Canonical XML 2.0), and botocore then signs craftctl's bytes, so the
canonical request and signature are still compared byte for byte.
Exit status 0 only when every request agreed.
"""
import argparse
import base64
import datetime
import json
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, prepare_request_dict
from botocore.credentials import Credentials
from botocore.handlers import fix_route53_ids
from botocore.serialize import create_serializer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTE53_IDS = ("ResourceId", "DelegationSetId", "ChangeId")
REGIONS = ["us-east-1", "us-east-2", "eu-west-1", "ap-southeast-2", "eu-central-1"]
UNICODE = ["é", "ü", "ß", "日本語", "Ωμέγα", "😀", "\u00a0", "ﬁ", "עברית"]
RESERVED = "!#$&'()*+,/:;=?@[]% \"<>\\^`{|}~-_."


def modelled_ops():
    out = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tools/awsmodel.py"), "--list"],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(line.split()[:2]) for line in out.splitlines() if line.endswith(" full")]


class Gen:
    def __init__(self, rng, protocol):
        self.rng = rng
        self.protocol = protocol

    def text(self, shape, where):
        rng = self.rng
        lo = shape.metadata.get("min", 0)
        hi = shape.metadata.get("max", 64)
        hi = max(lo, min(hi, 64))
        if where == "header":
            n = rng.randint(max(lo, 1), max(hi, 1))
            s = "".join(rng.choice("abcdefXYZ0123456789-_.") for _ in range(n))
            return s
        if lo == 0 and rng.random() < 0.1:
            return ""
        out = []
        n = rng.randint(max(lo, 1), max(hi, 1))
        while len(out) < n:
            r = rng.random()
            if r < 0.55:
                out.append(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
            elif r < 0.8:
                out.append(rng.choice(RESERVED))
            elif r < 0.95:
                out.append(rng.choice(UNICODE))
            elif self.protocol in ("json", "rest-json", "ec2", "query"):
                out.append(rng.choice("\t\n\r\x01\x1f"))
            else:
                out.append("\t")  # XML: \r and controls are spelled differently or invalid
        s = "".join(out)
        if where == "uri":
            s = s.strip() or "x"
        return s

    def value(self, shape, depth, where="body"):
        """(value for botocore, value as JSON for the C driver)."""
        rng = self.rng
        t = shape.type_name
        if t == "structure":
            if getattr(shape, "is_document_type", False):
                v = {"a": [1, "x", True], "n": None}
                return v, v
            py, js = {}, {}
            required = set(shape.required_members)
            for name, mem in shape.members.items():
                if name not in required and (depth > 3 or rng.random() < 0.5):
                    continue
                if mem.serialization.get("location") == "headers" and depth == 0:
                    continue
                if mem.serialization.get("eventstream") or mem.serialization.get("streaming"):
                    continue
                if mem.metadata.get("idempotencyToken") and rng.random() < 0.5:
                    continue  # the driver fills it; botocore gets the same below
                loc = mem.serialization.get("location") if depth == 0 else None
                py[name], js[name] = self.value(mem, depth + 1, loc or where)
            return py, js
        if t == "list":
            lo = shape.metadata.get("min", 0)
            n = rng.randint(lo, max(lo, 3))
            if where in ("header", "querystring", "uri"):
                n = max(n, 1)
            items = [self.value(shape.member, depth + 1, where) for _ in range(n)]
            return [a for a, _ in items], [b for _, b in items]
        if t == "map":
            n = rng.randint(shape.metadata.get("min", 0), 3)
            py, js = {}, {}
            for _ in range(n):
                k, _ = self.value(shape.key, depth + 1, "header" if where == "headers" else where)
                if k == "":
                    k = "k"
                py[k], js[k] = self.value(shape.value, depth + 1,
                                          "header" if where == "headers" else where)
            return py, js
        if t == "string":
            if shape.enum:
                v = rng.choice(shape.enum)
            else:
                v = self.text(shape, where)
            return v, v
        if t in ("integer", "long"):
            lo = shape.metadata.get("min", 0 if rng.random() < 0.7 else -1000)
            hi = 2000000 if t == "integer" else 10 ** 13
            hi = shape.metadata.get("max", hi)
            v = rng.randint(int(lo), int(max(lo, hi)))
            return v, v
        if t == "boolean":
            v = rng.random() < 0.5
            return v, v
        if t in ("float", "double"):
            v = round(rng.uniform(-1e4, 1e4), rng.randint(1, 6))
            if v == int(v):
                v += 0.5
            if rng.random() < 0.1:
                v = rng.choice([1.5e-07, 2.5e20, 0.1, 123456.789])
            return v, v
        if t == "timestamp":
            secs = rng.randint(946684800, 1893456000)
            r = rng.random()
            if r < 0.4:
                return secs, secs
            dt = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
            if r < 0.7:
                s = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                s = dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % rng.randint(1, 999999)
            return s, s
        if t == "blob":
            b = bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 40)))
            return b, base64.b64encode(b).decode()
        raise ValueError(t)


def make(rng, i, session, ops):
    svc, opname = rng.choice(ops)
    model = session.get_service_model(svc)
    op = model.operation_model(opname)
    g = Gen(rng, model.protocol)
    py, js = g.value(op.input_shape, 0) if op.input_shape else ({}, {})
    if svc == "route53":
        # ids as Route 53's answers spell them, which botocore's
        # fix_route53_ids (and craftctl) cut to their last part
        for name, mem in op.input_shape.members.items():
            if mem.name in ROUTE53_IDS and name in py and rng.random() < 0.5:
                py[name] = js[name] = rng.choice(["/hostedzone/", "/change/", "x/"]) + py[name]
    region = rng.choice(REGIONS)
    prefix = model.metadata["endpointPrefix"]
    host = f"{prefix}.{region}.amazonaws.com" if rng.random() < 0.8 else \
        f"127.0.0.1:{rng.randint(1024, 65535)}"
    token = None
    if rng.random() < 0.4:
        token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=")
                        for _ in range(rng.randint(16, 400)))
    req = {"id": i, "service": svc, "op": opname, "params": js, "region": region,
           "host": host, "ak": "AKID" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                              for _ in range(16)),
           "sk": "".join(rng.choice("ABCDEFGHIJKLMNOPabcdefghij0123456789+/") for _ in range(40)),
           "token": token, "when": rng.randint(1420070400, 1893456000)}
    return req, py


def botocore_side(session, req, py, c_body):
    model = session.get_service_model(req["service"])
    op = model.operation_model(req["op"])
    if op.input_shape:
        for name, mem in op.input_shape.members.items():
            if mem.metadata.get("idempotencyToken") and name not in py:
                py[name] = "00000000-0000-4000-8000-%012d" % req["id"]
    if req["service"] == "route53":
        fix_route53_ids(py, op)  # a before-parameter-build handler of botocore's client
    rd = create_serializer(model.protocol, include_validation=True).serialize_to_request(py, op)
    prepare_request_dict(rd, endpoint_url="https://" + req["host"])
    r = AWSRequest(method=rd["method"], url=rd["url"], data=rd["body"], headers=rd["headers"])
    boto_body = r.body or b""
    if model.protocol not in ("ec2", "query"):
        r.data = c_body  # compared as documents; botocore signs craftctl's bytes
    signer = SigV4Auth(Credentials(req["ak"], req["sk"], req["token"]),
                       model.metadata.get("signingName", model.metadata["endpointPrefix"]),
                       req["region"])
    r.context["timestamp"] = datetime.datetime.fromtimestamp(
        req["when"], datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(r)
    canonical = signer.canonical_request(r)
    sts = signer.string_to_sign(r, canonical)
    sig = signer.signature(sts, r)
    signer._inject_signature_to_request(r, sig)
    return model.protocol, rd, boto_body, canonical, sts, sig, r.headers["Authorization"]


def same_body(protocol, boto, craft):
    if protocol in ("ec2", "query"):
        return boto == craft
    if protocol in ("json", "rest-json"):
        if not boto and not craft:
            return True
        try:
            pairs = lambda b: json.loads(b, object_pairs_hook=lambda kv: ("obj", kv))
            return pairs(boto) == pairs(craft)
        except ValueError:
            return boto == craft
    if not boto or not craft:
        return boto == craft  # a streaming payload or no body
    try:
        return ET.canonicalize(boto.decode()) == ET.canonicalize(craft.decode())
    except ET.ParseError:
        return False


def compare(session, req, py, out):
    if "error" in out:
        return [f"craftctl refused it: {out['error']}"]
    c_body = base64.b64decode(out["body"])
    protocol, rd, boto_body, canonical, sts, sig, auth = botocore_side(session, req, py, c_body)
    url = urlsplit(rd["url"])
    bad = []
    if rd["method"] != out["method"]:
        bad.append(f"method {rd['method']!r} vs {out['method']!r}")
    if url.path != out["path"]:
        bad.append(f"path {url.path!r} vs {out['path']!r}")
    if url.query != out["query"]:
        bad.append(f"query {url.query!r} vs {out['query']!r}")
    boto_headers = sorted((k, v) for k, v in rd["headers"].items())
    craft_headers = sorted((k, v) for k, v in out["headers"])
    if boto_headers != craft_headers:
        bad.append(f"headers {boto_headers} vs {craft_headers}")
    if not same_body(protocol, boto_body, c_body):
        bad.append(f"body {boto_body[:600]!r} vs {c_body[:600]!r}")
    if canonical != out["canonical"]:
        bad.append(f"canonical request:\n{canonical}\n--- vs ---\n{out['canonical']}")
    if sts != out["string_to_sign"] or sig != out["signature"] or auth != out["authorization"]:
        bad.append("signature differs")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver")
    ap.add_argument("--count", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--gen-only", action="store_true")
    ap.add_argument("--mutate", action="store_true",
                    help="self-test: spoil one part of each of craftctl's answers; then "
                         "every request must be reported (exit 0 only if all were)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    session = botocore.session.get_session()
    ops = modelled_ops()
    reqs = [make(rng, i, session, ops) for i in range(args.count)]
    feed = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r, _ in reqs)
    if args.gen_only:
        sys.stdout.write(feed)
        return 0
    proc = subprocess.run([args.driver, "sign"], input=feed.encode(), capture_output=True,
                          check=False)
    if proc.returncode != 0:
        print(f"protodiff: the driver failed: {proc.stderr.decode(errors='replace')[:2000]}")
        return 1
    outs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    if len(outs) != len(reqs):
        print(f"protodiff: {len(outs)} answers for {len(reqs)} requests")
        return 1
    if args.mutate:
        for i, out in enumerate(outs):
            if "error" in out:
                continue
            part = i % 5
            if part == 0:
                out["path"] += "x"
            elif part == 1:
                out["headers"].append(["X-Extra", "1"])
            elif part == 2:
                body = base64.b64decode(out["body"])
                out["body"] = base64.b64encode(body + b" " if body else b"x").decode()
            elif part == 3:
                out["signature"] = ("0" if out["signature"][0] != "0" else "1") + out["signature"][1:]
            else:
                out["canonical"] = out["canonical"].replace("\n", "\n ", 1)
    per = {}
    failed = 0
    for (req, py), out in zip(reqs, outs):
        proto = session.get_service_model(req["service"]).protocol
        bad = compare(session, req, py, out)
        n = per.setdefault(proto, [0, 0])
        n[0] += 1
        if bad:
            n[1] += 1
            failed += 1
            if failed <= 4 and not args.mutate:
                print(f"MISMATCH {req['service']} {req['op']} (request {req['id']}, seed {seed}):")
                print("  params:", json.dumps(req["params"], ensure_ascii=False)[:1500])
                for b in bad:
                    print("  " + b[:3000])
    opsn = len({(r["service"], r["op"]) for r, _ in reqs})
    summary = ", ".join(f"{p} {n[0] - n[1]}/{n[0]}" for p, n in sorted(per.items()))
    print(f"protodiff: {len(reqs) - failed} of {len(reqs)} identical to botocore "
          f"(seed {seed}; {opsn} operations; {summary})")
    if args.mutate:
        return 0 if failed == len(reqs) else 1
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
