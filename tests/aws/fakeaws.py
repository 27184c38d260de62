#!/usr/bin/python3
"""A loopback stand-in for the AWS endpoints craftctl's client talks to.

Every signed request is checked by recomputing its SigV4 signature with
botocore's own SigV4Auth (Debian python3-botocore) at the request's
X-Amz-Date; a mismatch is answered the way EC2 (AuthFailure) or STS
(SignatureDoesNotMatch) answer it. It serves:

  POST /            ec2 DescribeVpcs (echoes filters, pages with MaxResults),
                    sts GetCallerIdentity, sts AssumeRoleWithWebIdentity
                    (unsigned; issues temporary credentials);
                    JSON-protocol calls (X-Amz-Target): ecr DescribeRepositories
                    echoes its input, any other target is
                    UnknownOperationException; GET /_fake/stats "json" lists
                    what each one carried (target, Content-Type, body)
  IMDSv2            PUT /latest/api/token, GET /latest/meta-data/iam/...
  container         GET /container/creds (checks the Authorization header)
  control           POST /_fake/faults (JSON), GET /_fake/stats

Faults: {"throttle": N} answers the next N calls RequestLimitExceeded,
{"status": S, "count": N} the next N with HTTP S, {"drop": N} closes the next
N connections without an answer, {"hang": N} answers the next N only after
30 s (a server that stops answering), {"skew": SECONDS} moves the server clock.
Only for tests; binds to 127.0.0.1.
"""
import argparse
import base64
import datetime
import email.utils
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
JSON_SERVICES = {"acm", "application-autoscaling", "ecr", "ecs", "logs", "secretsmanager"}
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        # access key -> (secret, token or None)
        self.creds = {args.access_key: (args.secret_key, args.session_token)}
        self.faults = {"throttle": 0, "status": 0, "count": 0, "drop": 0, "hang": 0}
        self.skew = 0
        self.stats = {"requests": 0, "ok": 0, "auth_failures": 0, "imds_token": 0,
                      "imds_creds": 0, "container_creds": 0, "web_identity": 0,
                      "actions": {}, "dates": [], "bodies": [], "connections": 0}
        self.peers = set()

    def issue(self, prefix, ttl):
        ak = prefix + secrets.token_hex(6).upper()
        sk = secrets.token_urlsafe(30)
        tok = base64.b64encode(secrets.token_bytes(96)).decode()
        exp = datetime.datetime.utcfromtimestamp(time.time() + ttl)
        with self.lock:
            self.creds[ak] = (sk, tok)
        return ak, sk, tok, exp.strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeaws"

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.state.args.verbose:
            sys.stderr.write("fakeaws: " + (fmt % args) + "\n")

    def now(self):
        return time.time() + self.server.state.skew

    def send(self, status, body, ctype="text/xml", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "req-" + secrets.token_hex(8))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def date_header(self):
        return {"Date": email.utils.formatdate(self.now(), usegmt=True)}

    def aws_error(self, service, status, code, message):
        rid = "req-" + secrets.token_hex(8)
        if service in JSON_SERVICES:
            body = json.dumps({"__type": code, "message": message})
            return self.send(status, body, "application/x-amz-json-1.1",
                             extra=dict(self.date_header(), **{"x-amzn-RequestId": rid}))
        if service == "ec2":
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                    f"<Code>{code}</Code><Message>{xml_escape(message)}</Message>"
                    f"</Error></Errors><RequestID>{rid}</RequestID></Response>")
        else:
            body = (f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type>'
                    f"<Code>{code}</Code><Message>{xml_escape(message)}</Message></Error>"
                    f"<RequestId>{rid}</RequestId></ErrorResponse>")
        self.send(status, body, extra=self.date_header())

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # --- control -------------------------------------------------------
    def do_GET(self):
        st = self.server.state
        if self.path == "/_fake/stats":
            with st.lock:
                self.send(200, json.dumps(st.stats), "application/json")
            return
        if self.path.startswith("/latest/"):
            return self.imds("GET")
        if self.path == "/container/creds":
            want = st.args.container_token
            if want and self.headers.get("Authorization") != want:
                return self.send(401, '{"message":"bad authorization"}', "application/json")
            ak, sk, tok, exp = st.issue("ASIACONT", st.args.cred_ttl)
            with st.lock:
                st.stats["container_creds"] += 1
            return self.send(200, json.dumps({"AccessKeyId": ak, "SecretAccessKey": sk,
                                              "Token": tok, "Expiration": exp}),
                             "application/json")
        self.send(404, "not found", "text/plain")

    def do_PUT(self):
        if self.path.startswith("/latest/"):
            self.read_body()
            return self.imds("PUT")
        self.send(404, "not found", "text/plain")

    def imds(self, method):
        st = self.server.state
        if method == "PUT" and self.path == "/latest/api/token":
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.send(400, "missing ttl", "text/plain")
            with st.lock:
                st.stats["imds_token"] += 1
            return self.send(200, "imds-token-" + st.args.imds_secret, "text/plain")
        if self.headers.get("X-aws-ec2-metadata-token") != "imds-token-" + st.args.imds_secret:
            return self.send(401, "unauthorized", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.send(200, "craft-role\n", "text/plain")
        if self.path == base + "craft-role":
            ak, sk, tok, exp = st.issue("ASIAIMDS", st.args.cred_ttl)
            with st.lock:
                st.stats["imds_creds"] += 1
            return self.send(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                                              "AccessKeyId": ak, "SecretAccessKey": sk,
                                              "Token": tok, "Expiration": exp}),
                             "text/plain")
        self.send(404, "not found", "text/plain")

    def do_POST(self):
        st = self.server.state
        body = self.read_body()
        if self.path == "/_fake/faults":
            f = json.loads(body or b"{}")
            with st.lock:
                for k in ("throttle", "status", "count", "drop", "hang"):
                    if k in f:
                        st.faults[k] = int(f[k])
                if "skew" in f:
                    st.skew = int(f["skew"])
            return self.send(200, "{}", "application/json")
        target = self.headers.get("X-Amz-Target")
        if target:
            params = {}
            action = target.rsplit(".", 1)[-1]
        else:
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "strict"),
                                                 keep_blank_values=True, strict_parsing=False))
            action = params.get("Action", "")
        with st.lock:
            st.peers.add(self.client_address)
            st.stats["connections"] = len(st.peers)
            st.stats["requests"] += 1
            st.stats["actions"][action] = st.stats["actions"].get(action, 0) + 1
            if st.faults["drop"] > 0:
                st.faults["drop"] -= 1
                drop = True
            else:
                drop = False
            hang = st.faults["hang"] > 0
            if hang:
                st.faults["hang"] -= 1
        if hang:
            time.sleep(30)   # the client's timeout ends the wait, not this
            self.close_connection = True
            return
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if action == "AssumeRoleWithWebIdentity":
            return self.web_identity(params)
        service = self.verify(body)
        if not service:
            return
        with st.lock:
            throttle = st.faults["throttle"] > 0
            if throttle:
                st.faults["throttle"] -= 1
            status = 0
            if st.faults["count"] > 0:
                st.faults["count"] -= 1
                status = st.faults["status"]
        if throttle:
            return self.aws_error(service, 503, "RequestLimitExceeded", "Request limit exceeded.")
        if status:
            return self.aws_error(service, status, "InternalError" if status >= 500 else
                                  "Throttling", f"injected HTTP {status}")
        with st.lock:
            st.stats["ok"] += 1
            st.stats["bodies"].append(body.decode())
        if target:
            return self.json_call(service, target, body)
        if service == "ec2" and action == "DescribeVpcs":
            return self.describe_vpcs(params)
        if service == "sts" and action == "GetCallerIdentity":
            return self.send(200, (
                f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
                "<Arn>arn:aws:iam::123456789012:user/craft</Arn><UserId>AIDAFAKE</UserId>"
                "<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata>"
                "<RequestId>req-gci</RequestId></ResponseMetadata></GetCallerIdentityResponse>"))
        return self.aws_error(service, 400, "InvalidAction",
                              f"The action {action} is not valid for this web service.")

    def json_call(self, service, target, body):
        st = self.server.state
        with st.lock:
            st.stats.setdefault("json", []).append({
                "service": service, "path": self.path, "target": target,
                "content_type": self.headers.get("Content-Type"), "body": body.decode()})
        try:
            doc = json.loads(body or b"null")
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return self.aws_error(service, 400, "SerializationException", "body is no object")
        if service == "ecr" and target == "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories":
            names = doc.get("repositoryNames", ["web"])
            out = {"repositories": [{"repositoryName": n, "registryId": "123456789012"}
                                    for n in names]}
            return self.send(200, json.dumps(out, separators=(",", ":")),
                             "application/x-amz-json-1.1")
        return self.aws_error(service, 400, "UnknownOperationException",
                              f"unknown operation {target}")

    def web_identity(self, params):
        st = self.server.state
        if "Authorization" in self.headers:
            return self.aws_error("sts", 400, "InvalidRequest", "expected an unsigned call")
        if params.get("WebIdentityToken") != st.args.web_token or not params.get("RoleArn"):
            return self.aws_error("sts", 400, "InvalidIdentityToken", "bad web identity token")
        if not params.get("RoleSessionName"):
            return self.aws_error("sts", 400, "ValidationError", "RoleSessionName missing")
        ak, sk, tok, exp = st.issue("ASIAWEB", st.args.cred_ttl)
        with st.lock:
            st.stats["web_identity"] += 1
        self.send(200, (
            f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NS}">'
            "<AssumeRoleWithWebIdentityResult><Credentials>"
            f"<AccessKeyId>{ak}</AccessKeyId><SecretAccessKey>{sk}</SecretAccessKey>"
            f"<SessionToken>{tok}</SessionToken><Expiration>{exp}</Expiration>"
            "</Credentials><SubjectFromWebIdentityToken>repo:x</SubjectFromWebIdentityToken>"
            "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>req-web"
            "</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>"))

    def verify(self, body):
        """Recomputes the signature with botocore; answers and returns None on failure."""
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        try:
            algo, rest = auth.split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            akid, date8, region, service, term = parts["Credential"].split("/")
            signed = parts["SignedHeaders"].split(";")
            got = parts["Signature"]
        except (ValueError, KeyError):
            self.aws_error("ec2", 401, "AuthFailure", "missing or malformed Authorization")
            return None
        amz_date = self.headers.get("X-Amz-Date", "")
        if algo != "AWS4-HMAC-SHA256" or term != "aws4_request" or date8 != amz_date[:8]:
            self.aws_error(service, 401, "AuthFailure", "malformed credential scope")
            return None
        if st.args.region and region != st.args.region:
            self.aws_error(service, 401, "AuthFailure", f"wrong region {region}")
            return None
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            self.aws_error(service, 400, "IncompleteSignature", "bad X-Amz-Date")
            return None
        if abs(t - self.now()) > 300:
            self.aws_error(service, 403, "RequestExpired" if service == "ec2" else
                           "SignatureDoesNotMatch", "Signature expired: request time too skewed")
            return None
        with st.lock:
            known = st.creds.get(akid)
            st.stats["dates"].append(amz_date)
        if not known:
            self.aws_error(service, 401, "AuthFailure" if service == "ec2" else
                           "InvalidClientTokenId", "The security token included in the "
                           "request is invalid.")
            return None
        secret, token = known
        for need in ("host", "x-amz-date"):
            if need not in signed:
                self.aws_error(service, 401, "AuthFailure", f"{need} is not signed")
                return None
        if token:
            if self.headers.get("X-Amz-Security-Token") != token or \
                    "x-amz-security-token" not in signed:
                self.aws_error(service, 401, "AuthFailure", "missing or bad session token")
                return None
        headers = {}
        for name in signed:
            values = self.headers.get_all(name)
            if values is None:
                self.aws_error(service, 401, "AuthFailure", f"signed header {name} missing")
                return None
            headers[name] = ",".join(values)
        url = "http://" + self.headers.get("Host", "") + self.path
        req = AWSRequest(method=self.command, url=url, data=body, headers=headers)
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(akid, secret, token), service, region)
        canonical = signer.canonical_request(req)
        sts = signer.string_to_sign(req, canonical)
        want = signer.signature(sts, req)
        if want != got:
            with st.lock:
                st.stats["auth_failures"] += 1
            if service == "ec2":
                self.aws_error(service, 401, "AuthFailure",
                               "AWS was not able to validate the provided access credentials")
            elif service in JSON_SERVICES:
                self.aws_error(service, 403, "InvalidSignatureException",
                               "The request signature we calculated does not match the "
                               "signature you provided.")
            else:
                self.aws_error(service, 403, "SignatureDoesNotMatch",
                               "The request signature we calculated does not match the "
                               "signature you provided.")
            return None
        return service

    def describe_vpcs(self, params):
        items = []
        filters = sorted(k for k in params if k.startswith("Filter.") and k.endswith(".Name"))
        for k in filters:
            n = k.split(".")[1]
            vals = [params[v] for v in sorted(params) if v.startswith(f"Filter.{n}.Value.")]
            items.append((params[k], vals))
        total = int(self.server.state.args.vpcs)
        start = int(params.get("NextToken", "0") or 0)
        per = int(params.get("MaxResults", "0") or 0) or total
        out = []
        for i in range(start, min(total, start + per)):
            tags = "".join(f"<item><key>{xml_escape(name)}</key><value>{xml_escape(v)}</value>"
                           "</item>" for name, vs in items for v in vs)
            out.append(f"<item><vpcId>vpc-{i:08x}</vpcId><state>available</state>"
                       f"<cidrBlock>10.{i % 256}.0.0/16</cidrBlock><tagSet>{tags}</tagSet></item>")
        nxt = start + per
        token = f"<nextToken>{nxt}</nextToken>" if nxt < total else ""
        self.send(200, (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeVpcsResponse '
                        f'xmlns="{EC2_NS}"><requestId>req-vpcs</requestId><vpcSet>'
                        + "".join(out) + f"</vpcSet>{token}</DescribeVpcsResponse>"))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--access-key", default="AKIDFAKEEXAMPLE")
    ap.add_argument("--secret-key", default="fake/secret+KEY")
    ap.add_argument("--session-token", default=None)
    ap.add_argument("--region", default=None)
    ap.add_argument("--web-token", default="web-identity-token")
    ap.add_argument("--container-token", default=None)
    ap.add_argument("--imds-secret", default=secrets.token_hex(8))
    ap.add_argument("--cred-ttl", type=int, default=3600)
    ap.add_argument("--vpcs", type=int, default=2)
    ap.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    ap.add_argument("--tls-key", help="and this key")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.state = State(args)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
