"""HTTP front of the AWS simulator: routing, auth, faults, control endpoints.

One endpoint serves every simulated service (services.py has the table and
routes a request as AWS's endpoints would). Each request is decoded by its
protocol's codec (codecs.py), signature-checked (auth.verify), validated
against the botocore model, optionally delayed, throttled or failed
(--latency-ms, --throttle-rate, --fault-rate, scripted faults), then run
under the state lock; the answer is serialized for the output shape and
parsed back by botocore (checks.parse_back) before it is sent.
"""

import datetime
import json
import random
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.awsrequest import HTTPHeaders

from . import auth, checks, connect, protocol
from .ec2 import Sim
from .ecr import Ecr
from .elbv2 import Elbv2
from .hosts import log
from .iam import Iam
from .protocol import AwsError
from .route53 import Route53
from .secrets import SecretsManager
from .services import Service, Table
from .sts import Sts


# EC2's documented default request-rate buckets (capacity, refill per second)
# per account and region, and the resource-rate buckets of two actions.
RATE_BUCKETS = {
    "mutating": (200, 5.0),
    "non-mutating": (100, 20.0),
    "unfiltered": (50, 10.0),
}
RESOURCE_BUCKETS = {"RunInstances": (1000, 2.0), "TerminateInstances": (1000, 20.0)}


class TokenBuckets:
    def __init__(self):
        self.lock = threading.Lock()
        self.state = {}

    def take(self, key, capacity, rate, cost=1):
        with self.lock:
            now = time.monotonic()
            level, last = self.state.get(key, (float(capacity), now))
            level = min(float(capacity), level + (now - last) * rate)
            if level < cost:
                self.state[key] = (level, now)
                return False
            self.state[key] = (level - cost, now)
            return True


def rate_category(action, args):
    if action.startswith(("Describe", "Get")):
        narrowed = any(k in args for k in ("Filters", "MaxResults")) or \
            any(k.endswith("Ids") or k.endswith("Names") for k in args)
        return "non-mutating" if narrowed else "unfiltered"
    return "mutating"


class Request:
    """One HTTP request as the codecs see it (they fill in the rest)."""

    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.params = None        # Query: flat parameters
        self.action = None
        self.version = None
        self.args_raw = None
        self.log_params = None
        self.op_name = None
        self.labels = None


def _headers(h, rid):
    out = HTTPHeaders()
    for k, v in h.items():
        out[k] = v
    out["x-amzn-RequestId"] = rid
    return out


class Context:
    def __init__(self, action, service, region, principal, reg):
        self.action = action
        self.service = service
        self.region = region
        self.principal = principal
        self.reg = reg


class App:
    def __init__(self, opts):
        self.opts = opts
        protocol.load_models()
        self.store = auth.CredentialStore(opts.account_id)
        for i, (ak, sk) in enumerate(zip(opts.access_key, opts.secret_key)):
            self.store.add_user(ak, sk, "awssim" if i == 0 else f"awssim{i + 1}")
        self.sim = Sim(opts, self.store)
        self.sts = Sts(self.store, opts.account_id)
        self.iam = Iam(self.sim)
        self.sim.iam = self.iam     # EC2's instance profile associations
        self.route53 = Route53(self.sim)
        self.ecr = Ecr(self.sim)
        self.elbv2 = Elbv2(self.sim)
        self.secrets = SecretsManager(self.sim)
        # the services beside EC2 with state (/_awssim/reset, /_awssim/state/NAME)
        self.extra = {"iam": self.iam, "route53": self.route53, "ecr": self.ecr,
                      "elbv2": self.elbv2, "secretsmanager": self.secrets}
        self.services = Table([
            Service("ec2", self.sim, ("RequestLimitExceeded", 503),
                    ("InternalError", 500), "ec2"),
            Service("sts", self.sts, ("Throttling", 400), ("InternalFailure", 500),
                    "query", unsigned=("AssumeRoleWithWebIdentity",
                                       "AssumeRoleWithSAML")),
            Service("iam", self.iam, ("Throttling", 400), ("ServiceFailure", 500),
                    "query"),
            Service("route53", self.route53, ("Throttling", 400),
                    ("InternalFailure", 500), "rest-xml", rest_prefix="/2013-04-01/",
                    validation_error="InvalidInput"),
            Service("ecr", self.ecr, ("ThrottlingException", 400),
                    ("ServerException", 500), "json",
                    target_prefix="AmazonEC2ContainerRegistry_V20150921",
                    validation_error="ValidationException",
                    constraint_error="InvalidParameterException"),
            Service("elbv2", self.elbv2, ("Throttling", 400), ("InternalFailure", 500),
                    "query", signing="elasticloadbalancing"),
            Service("secretsmanager", self.secrets, ("ThrottlingException", 400),
                    ("InternalServiceError", 500), "json", target_prefix="secretsmanager",
                    validation_error="ValidationException"),
            Service("ec2-instance-connect", connect.InstanceConnect(self.sim),
                    ("ThrottlingException", 400), ("ServiceException", 500), "json",
                    target_prefix="AWSEC2InstanceConnectService",
                    validation_error="InvalidArgsException"),
        ])
        self.calls = []
        self.calls_lock = threading.Lock()
        self.fault_lock = threading.Lock()
        self.in_flight_lock = threading.Lock()
        self.in_flight = 0
        self.set_faults({"throttle_rate": opts.throttle_rate,
                         "fault_rate": opts.fault_rate, "seed": opts.seed,
                         "latency_ms": opts.latency_ms})
        self.script = []
        self.buckets = TokenBuckets()

    def set_faults(self, spec):
        for k in ("throttle_rate", "fault_rate"):
            if k in spec and not 0.0 <= float(spec[k]) <= 1.0:
                raise ValueError(f"{k} must be between 0 and 1")
        if "latency_ms" in spec and int(spec["latency_ms"]) < 0:
            raise ValueError("latency_ms must not be negative")
        with self.fault_lock:
            if "throttle_rate" in spec:
                self.throttle_rate = float(spec["throttle_rate"])
            if "fault_rate" in spec:
                self.fault_rate = float(spec["fault_rate"])
            if "latency_ms" in spec:
                self.opts.latency_ms = int(spec["latency_ms"])
            if "console_keys" in spec:
                self.sim.quiet_console = not bool(spec["console_keys"])
            if "key_fingerprint" in spec:
                if spec["key_fingerprint"] not in ("sha256", "md5"):
                    raise ValueError("key_fingerprint must be sha256 or md5")
                self.sim.md5_fingerprints = spec["key_fingerprint"] == "md5"
            if "seed" in spec or not hasattr(self, "fault_rng"):
                self.fault_rng = random.Random(spec.get("seed"))
            if "script" in spec:
                script = []
                for s in spec["script"] or []:
                    script.append({"action": s.get("action", "*"),
                                   "code": s.get("code", "InternalError"),
                                   "status": int(s.get("status", 500)),
                                   "message": s.get("message",
                                                    "An internal error has occurred"),
                                   "count": int(s.get("count", 1)),
                                   "after": bool(s.get("after", False)),
                                   "ignore": bool(s.get("ignore", False))})
                self.script = script

    def after_fault_for(self, action):
        """A scripted fault answered after the call took effect."""
        with self.fault_lock:
            for s in self.script:
                if (s["after"] and not s["ignore"] and s["count"] > 0
                        and s["action"] in ("*", action)):
                    s["count"] -= 1
                    return AwsError(s["code"], s["message"], s["status"],
                                    sender=s["status"] < 500)
        return None

    def ignored(self, action):
        """A scripted lie: the call answers success and changes nothing."""
        with self.fault_lock:
            for s in self.script:
                if s["ignore"] and s["count"] > 0 and s["action"] in ("*", action):
                    s["count"] -= 1
                    return True
        return False

    def fault_for(self, action, svc):
        with self.fault_lock:
            for s in self.script:
                if (not s["after"] and not s["ignore"] and s["count"] > 0
                        and s["action"] in ("*", action)):
                    s["count"] -= 1
                    return AwsError(s["code"], s["message"], s["status"],
                                    sender=s["status"] < 500)
            r1 = self.fault_rng.random()
            r2 = self.fault_rng.random()
        if r1 < self.throttle_rate:
            code, status = svc.throttle
            return AwsError(code, "Request limit exceeded." if svc.name == "ec2"
                            else "Rate exceeded", status)
        if r2 < self.fault_rate:
            code, status = svc.internal
            return AwsError(code, "An internal error has occurred", status,
                            sender=False)
        return None

    def check_rate(self, region, action, args):
        cat = rate_category(action, args)
        cap, rate = RATE_BUCKETS[cat]
        if not self.buckets.take((region, cat), cap, rate):
            raise AwsError("RequestLimitExceeded", "Request limit exceeded.", 503)
        if action in RESOURCE_BUCKETS:
            cap, rate = RESOURCE_BUCKETS[action]
            n = args.get("MaxCount", len(args.get("InstanceIds", [])) or 1)
            if not self.buckets.take((region, action), cap, rate, n):
                raise AwsError("RequestResourceCountExceeded",
                               "Request resource count exceeded.", 503)

    def record(self, entry):
        with self.calls_lock:
            self.calls.append(entry)

    # ------------------------------------------------------------ requests

    def handle_api(self, method, path, query, headers, body, client):
        """Return (status, headers, body bytes) for one AWS call."""
        req = Request(method, path, query, headers, body)
        rid = protocol.new_request_id()
        scope = auth.parse_scope(headers)
        svc = self.services.route(req, scope)
        entry = {"action": None, "service": svc.name, "status": None,
                 "error": None, "request_id": rid, "time": time.time(),
                 "region": None}
        op = None
        try:
            svc.codec.identify(svc, req)
            entry["action"] = req.action
            if req.log_params is not None:
                entry["params"] = req.log_params
            lat = self.opts.latency_ms
            if lat > 0:
                time.sleep(lat / 1000.0)

            principal = None
            region = scope[2] if scope else "us-east-1"
            if req.action not in svc.unsigned:
                try:
                    principal, region = auth.verify(self.store, svc.signing, method,
                                                    path, query, headers, body)
                except AwsError as e:
                    code, status = svc.auth_code(e.code, e.status)
                    raise AwsError(code, e.message, status) from None
            entry["region"] = region
            entry["principal"] = principal.arn if principal else None

            op = svc.codec.operation(svc, req)
            handler = getattr(svc.handler, "op_" + op.name, None)
            if handler is None:
                raise AwsError(svc.unsupported,
                               f"The operation {op.name} is not supported by the "
                               f"AWS simulator.", 400)
            args = svc.codec.decode(svc, op, req)
            if req.log_params is not None:
                entry["params"] = req.log_params

            fault = self.fault_for(op.name, svc)
            if fault is not None:
                raise fault
            if svc.name == "ec2":
                if self.opts.ec2_rate_limits:
                    self.check_rate(region, op.name, args)
                if args.get("DryRun"):
                    raise AwsError("DryRunOperation",
                                   "Request would have succeeded, but DryRun flag "
                                   "is set.", 412)
                args.pop("DryRun", None)

            self.sim.tick()
            with self.sim.lock:
                reg = self.sim.region(region) if svc.name == "ec2" else None
                ctx = Context(op.name, svc.name, region, principal, reg)
                if self.ignored(op.name):
                    entry["ignored"] = True
                    members = op.output_shape.members if op.output_shape else {}
                    data = {"Return": True} if "Return" in members else {}
                else:
                    data = handler(ctx, args)
                status, out_headers, out = svc.codec.response(svc, op, data, rid)
                # what botocore reads must be what the handler said
                checks.parse_back(svc.protocol, op, status,
                                  _headers(out_headers, rid), out, data)
            late = self.after_fault_for(op.name)
            if late is not None:
                entry["applied"] = True
                raise late
            entry["status"] = status
            self.record(entry)
            return status, out_headers, out, rid
        except AwsError as e:
            entry["status"] = e.status
            entry["error"] = e.code
            entry["message"] = e.message
            self.record(entry)
            status, out_headers, out = svc.codec.error(svc, e, rid)
            if op is not None:
                try:
                    checks.parse_back(svc.protocol, op, status,
                                      _headers(out_headers, rid), out, error=e)
                except Exception:  # a simulator bug, but the answer stands
                    traceback.print_exc()
            return status, out_headers, out, rid
        except Exception:  # a simulator bug: answer as AWS would, and say so
            traceback.print_exc()
            code, status = svc.internal
            e = AwsError(code, "An internal error has occurred (simulator bug; "
                         "see its log)", status, sender=False)
            entry["status"] = status
            entry["error"] = e.code
            entry["message"] = "simulator exception"
            self.record(entry)
            return (*svc.codec.error(svc, e, rid), rid)

    # ------------------------------------------------------------ control

    def handle_control(self, method, path, body, client):
        name = path[len("/_awssim/"):].split("?", 1)[0]
        if method == "GET" and name == "state":
            self.sim.tick()
            return 200, "application/json", _json(self.sim.dump())
        if method == "GET" and name.startswith("state/") and name[6:] in self.extra:
            self.sim.tick()
            with self.sim.lock:
                return 200, "application/json", _json(self.extra[name[6:]].dump())
        if method == "GET" and name == "calls":
            with self.calls_lock:
                calls = list(self.calls)
            return 200, "application/json", _json(calls)
        if method == "GET" and name == "checkip":
            return 200, "text/plain", (client + "\n").encode()
        if method == "GET" and name == "health":
            with self.calls_lock:
                ncalls = len(self.calls)
            return 200, "application/json", _json({"ok": True, "in_flight": self.in_flight,
                                                   "calls": ncalls})
        if method == "POST" and name == "reset":
            with self.sim.lock:
                self.sim.reset()
                for svc in self.extra.values():
                    svc.reset()
            self.buckets = TokenBuckets()
            with self.calls_lock:
                self.calls = []
            return 200, "application/json", _json({"reset": True})
        if method == "POST" and name == "faults":
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                self.set_faults(spec)
            except (ValueError, TypeError) as e:
                return 400, "application/json", _json({"error": str(e)})
            return 200, "application/json", _json({
                "throttle_rate": self.throttle_rate, "fault_rate": self.fault_rate,
                "latency_ms": self.opts.latency_ms, "script": self.script})
        if method == "POST" and name == "expire-credentials":
            now = datetime.datetime.now(datetime.timezone.utc)
            for pr in self.store.sessions():
                pr.expires = now
            return 200, "application/json", _json({"expired": True})
        return 404, "application/json", _json({"error": f"no control endpoint "
                                                         f"{method} {path}"})


def _json(data):
    return (json.dumps(data, indent=1, default=_json_default) + "\n").encode()


def _json_default(o):
    if isinstance(o, datetime.datetime):
        return protocol.fmt_time(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    if isinstance(o, bytes):
        return o.decode("utf-8", "replace")
    return str(o)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # the headers and the body are two writes: with Nagle's algorithm the
    # body waits for the client's delayed ACK of the headers (40 ms a call)
    disable_nagle_algorithm = True
    server_version = "AmazonEC2"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.app.opts.verbose:
            sys.stderr.write("awssim: %s - %s\n" % (self.address_string(), fmt % args))

    def _body(self):
        n = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        if n is None:
            return b""
        return self.rfile.read(int(n))

    def _send(self, status, ctype, body, rid=None, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if rid:
            self.send_header("x-amzn-RequestId", rid)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self):
        try:
            body = self._body()
        except (ValueError, OSError):
            self.send_error(400, "bad request body")
            return
        app = self.server.app
        split = urllib.parse.urlsplit(self.path)
        if split.path.startswith("/_awssim/"):
            status, ctype, out = app.handle_control(self.command, split.path,
                                                    body, self.client_address[0])
            self._send(status, ctype, out)
            return
        # AWS calls being answered (GET /_awssim/health): a test that killed
        # a client waits until the calls it had on the wire have landed
        with app.in_flight_lock:
            app.in_flight += 1
        try:
            status, headers, out, rid = app.handle_api(
                self.command, split.path, split.query, self.headers, body,
                self.client_address[0])
            headers = dict(headers)
            self._send(status, headers.pop("Content-Type"), out, rid, headers)
        finally:
            with app.in_flight_lock:
                app.in_flight -= 1

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, app):
        self.app = app
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, Handler)


def start_ticker(app, stop):
    def run():
        while not stop.wait(0.1):
            try:
                app.sim.tick()
            except Exception:  # keep ticking; the traceback says what broke
                traceback.print_exc()
    t = threading.Thread(target=run, daemon=True, name="awssim-ticker")
    t.start()
    return t


def log_ready(host, port):
    log(f"listening on http://{host}:{port}")
