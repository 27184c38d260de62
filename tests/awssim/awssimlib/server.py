"""HTTP front of the AWS simulator: routing, auth, faults, control endpoints.

One endpoint serves EC2 and STS, like a regional endpoint pair would: the
Action (and the credential scope's service) picks the service. Each request
is signature-checked (auth.verify), decoded and validated against the
botocore model (protocol.decode_request), optionally delayed, throttled or
failed (--latency-ms, --throttle-rate, --fault-rate, scripted faults), then
run under the state lock and answered in the service's XML.
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

from . import auth, connect, protocol
from .ec2 import Sim
from .hosts import log
from .protocol import AwsError
from .sts import Sts

STS_UNSIGNED = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}
REDACT = {"WebIdentityToken", "SAMLAssertion", "Policy"}
EC2_VERSION = "2016-11-15"
STS_VERSION = "2011-06-15"


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
        models = protocol.load_models()
        self.ec2_ops = set(models["ec2"].operation_names)
        self.sts_ops = set(models["sts"].operation_names)
        self.store = auth.CredentialStore(opts.account_id)
        for i, (ak, sk) in enumerate(zip(opts.access_key, opts.secret_key)):
            self.store.add_user(ak, sk, "awssim" if i == 0 else f"awssim{i + 1}")
        self.sim = Sim(opts, self.store)
        self.sts = Sts(self.store, opts.account_id)
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

    def fault_for(self, action, service):
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
            if service == "sts":
                return AwsError("Throttling", "Rate exceeded", 400)
            return AwsError("RequestLimitExceeded", "Request limit exceeded.", 503)
        if r2 < self.fault_rate:
            if service == "sts":
                return AwsError("InternalFailure",
                                "An internal error has occurred", 500, sender=False)
            return AwsError("InternalError",
                            "An internal error has occurred", 500, sender=False)
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

    JSON_AUTH_CODES = {
        "SignatureDoesNotMatch": ("InvalidSignatureException", 400),
        "InvalidClientTokenId": ("UnrecognizedClientException", 400),
        "MissingAuthenticationToken": ("MissingAuthenticationTokenException", 403),
        "IncompleteSignature": ("IncompleteSignatureException", 400),
        "ExpiredToken": ("ExpiredTokenException", 400),
    }

    def handle_json(self, method, path, query, headers, body, target):
        """EC2 Instance Connect (JSON 1.1 protocol)."""
        rid = protocol.new_request_id()
        action = target[len(connect.TARGET_PREFIX):]
        entry = {"action": action, "service": connect.SERVICE, "status": None,
                 "error": None, "request_id": rid, "time": time.time(),
                 "region": None}
        ctype = "application/x-amz-json-1.1"
        try:
            if method != "POST" or path != "/":
                raise AwsError("UnknownOperationException",
                               "Unknown operation", 404)
            if action != "SendSSHPublicKey":
                raise AwsError("UnknownOperationException",
                               f"Unknown operation {action}", 400)
            lat = self.opts.latency_ms
            if lat > 0:
                time.sleep(lat / 1000.0)
            try:
                principal, region = auth.verify(self.store, connect.SERVICE,
                                                method, path, query, headers, body)
            except AwsError as e:
                code, status = self.JSON_AUTH_CODES.get(e.code, (e.code, e.status))
                raise AwsError(code, e.message, status) from None
            entry["region"] = region
            entry["principal"] = principal.arn
            args = connect.decode_json(connect.op_model(), body)
            fault = self.fault_for(action, "sts")
            if fault is not None:
                code = {"Throttling": "ThrottlingException",
                        "InternalFailure": "ServiceException"}.get(fault.code, fault.code)
                raise AwsError(code, fault.message, fault.status)
            self.sim.tick()
            with self.sim.lock:
                data = connect.send_ssh_public_key(self.sim, region, args)
            data["RequestId"] = rid
            entry["status"] = 200
            self.record(entry)
            return 200, ctype, json.dumps(data).encode(), rid, connect.SERVICE
        except AwsError as e:
            entry["status"] = e.status
            entry["error"] = e.code
            entry["message"] = e.message
            self.record(entry)
            out = json.dumps({"__type": e.code, "Message": e.message}).encode()
            return e.status, ctype, out, rid, connect.SERVICE

    def handle_api(self, method, path, query, headers, body, client):
        """Return (status, content_type, body bytes, request_id, service)."""
        target = headers.get("X-Amz-Target")
        if target and target.startswith(connect.TARGET_PREFIX):
            return self.handle_json(method, path, query, headers, body, target)
        rid = protocol.new_request_id()
        params = {}
        service = "ec2"
        action = None
        entry = {"action": None, "service": None, "status": None,
                 "error": None, "request_id": rid, "time": time.time(),
                 "region": None}
        try:
            try:
                pairs = urllib.parse.parse_qsl(query, keep_blank_values=True,
                                               strict_parsing=False)
                ctype = (headers.get("Content-Type") or "").lower()
                if method == "POST" and body:
                    if not ctype.startswith("application/x-www-form-urlencoded"):
                        raise AwsError("InvalidParameterValue",
                                       "Unsupported Content-Type for a Query API "
                                       f"request: '{ctype}'", 400)
                    pairs += urllib.parse.parse_qsl(body.decode("utf-8"),
                                                    keep_blank_values=True)
            except (UnicodeDecodeError, ValueError):
                raise AwsError("MalformedQueryString",
                               "The query string is malformed", 400) from None
            for k, v in pairs:
                if k in params:
                    raise AwsError("InvalidParameterValue",
                                   f"The parameter {k} is specified more than once",
                                   400)
                params[k] = v
            entry["params"] = {k: ("(redacted)" if k in REDACT else v)
                               for k, v in params.items()
                               if k not in ("Action", "Version")}
            action = params.pop("Action", None)
            version = params.pop("Version", None)
            scope = auth.parse_scope(headers)
            if action in self.sts_ops:
                service = "sts"
            elif action in self.ec2_ops:
                service = "ec2"
            elif scope and scope[3] == "sts":
                service = "sts"
            entry["action"] = action
            entry["service"] = service
            if method not in ("GET", "POST"):
                raise AwsError("InvalidAction",
                               f"HTTP method {method} is not supported", 400)
            if path != "/":
                raise AwsError("InvalidAction",
                               f"Could not find operation for path {path}", 400)

            lat = self.opts.latency_ms
            if lat > 0:
                time.sleep(lat / 1000.0)

            principal = None
            region = scope[2] if scope else "us-east-1"
            if not (service == "sts" and action in STS_UNSIGNED):
                principal, region = auth.verify(
                    self.store, service, method, path, query, headers, body)
            entry["region"] = region
            entry["principal"] = principal.arn if principal else None

            if not action:
                raise AwsError("MissingAction",
                               "The request must contain the parameter Action",
                               400)
            ops = self.sts_ops if service == "sts" else self.ec2_ops
            if action not in ops:
                raise AwsError("InvalidAction",
                               f"The action {action} is not valid for this web "
                               f"service.", 400)
            want = STS_VERSION if service == "sts" else EC2_VERSION
            if version is None:
                raise AwsError("MissingParameter",
                               "The request must contain the parameter Version",
                               400)
            if version != want:
                raise AwsError("InvalidParameterValue" if service == "ec2"
                               else "InvalidAction",
                               f"Unsupported API version '{version}'; this "
                               f"endpoint speaks {want}", 400)
            handler_owner = self.sts if service == "sts" else self.sim
            handler = getattr(handler_owner, "op_" + action, None)
            if handler is None:
                raise AwsError("UnsupportedOperation" if service == "ec2"
                               else "InvalidAction",
                               f"The operation {action} is not supported by the "
                               f"AWS simulator.", 400)
            op_model = protocol.model(service).operation_model(action)
            args = protocol.decode_request(service, op_model, params)

            fault = self.fault_for(action, service)
            if fault is not None:
                raise fault
            if self.opts.ec2_rate_limits and service == "ec2":
                self.check_rate(region, action, args)

            if args.get("DryRun"):
                raise AwsError("DryRunOperation",
                               "Request would have succeeded, but DryRun flag "
                               "is set.", 412)
            args.pop("DryRun", None)

            self.sim.tick()
            with self.sim.lock:
                reg = self.sim.region(region) if service == "ec2" else None
                ctx = Context(action, service, region, principal, reg)
                if self.ignored(action):
                    entry["ignored"] = True
                    members = op_model.output_shape.members if op_model.output_shape else {}
                    data = {"Return": True} if "Return" in members else {}
                else:
                    data = handler(ctx, args)
                out = protocol.encode_response(service, op_model, data, rid)
            late = self.after_fault_for(action)
            if late is not None:
                entry["applied"] = True
                raise late
            entry["status"] = 200
            ctype = "text/xml;charset=UTF-8" if service == "ec2" else "text/xml"
            self.record(entry)
            return 200, ctype, out, rid, service
        except AwsError as e:
            entry["status"] = e.status
            entry["error"] = e.code
            entry["message"] = e.message
            self.record(entry)
            return (e.status, "text/xml;charset=UTF-8",
                    protocol.encode_error(service, e, rid), rid, service)
        except Exception:  # a simulator bug: answer as AWS would, and say so
            traceback.print_exc()
            e = AwsError("InternalError" if service == "ec2" else "InternalFailure",
                         "An internal error has occurred (simulator bug; see "
                         "its log)", 500, sender=False)
            entry["status"] = 500
            entry["error"] = e.code
            entry["message"] = "simulator exception"
            self.record(entry)
            return (500, "text/xml;charset=UTF-8",
                    protocol.encode_error(service, e, rid), rid, service)

    # ------------------------------------------------------------ control

    def handle_control(self, method, path, body, client):
        name = path[len("/_awssim/"):].split("?", 1)[0]
        if method == "GET" and name == "state":
            self.sim.tick()
            return 200, "application/json", _json(self.sim.dump())
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
            self.sim.reset()
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

    def _send(self, status, ctype, body, rid=None, service=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Date", self.date_time_string())
        if rid:
            self.send_header("x-amzn-RequestId", rid)
        if status >= 500 or self.close_connection:
            pass
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
            status, ctype, out, rid, service = app.handle_api(
                self.command, split.path, split.query, self.headers, body,
                self.client_address[0])
            self._send(status, ctype, out, rid, service)
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
