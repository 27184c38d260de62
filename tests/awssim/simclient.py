"""Test helper: start an awssim process and talk to it like an AWS SDK.

Requests are serialized by botocore's own Query/EC2 serializers and signed
by botocore's SigV4Auth; every response (success or error) is parsed by
botocore's parser for the operation's output shape, and its raw XML is
checked for the service's envelope (namespace, request id), so a response
botocore could not read fails the test that received it.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

HERE = os.path.dirname(os.path.abspath(__file__))
AWSSIM = os.path.join(HERE, "awssim")
KEY = "AKIDAWSSIMTEST000001"
SECRET = "awssim/test/secret/key/0123456789abcdef"
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

_session = botocore.session.get_session()
MODELS = {s: _session.get_service_model(s) for s in ("ec2", "sts", "iam")}
SERIALIZERS = {s: create_serializer(MODELS[s].metadata["protocol"], include_validation=False)
               for s in MODELS}
PARSERS = {s: create_parser(MODELS[s].metadata["protocol"]) for s in MODELS}

RESPONSES_PARSED = [0]


class Resp:
    def __init__(self, status, parsed, raw, headers):
        self.status = status
        self.parsed = parsed
        self.raw = raw
        self.headers = headers

    @property
    def code(self):
        return self.parsed.get("Error", {}).get("Code")

    def __repr__(self):
        return f"<Resp {self.status} {self.raw[:300]!r}>"


def check_envelope(service, action, status, raw):
    """The raw XML must have the service's exact envelope."""
    root = ET.fromstring(raw)
    if service == "ec2":
        if status == 200:
            assert root.tag == f"{{{EC2_NS}}}{action}Response", root.tag
            rid = root.find(f"{{{EC2_NS}}}requestId")
            assert rid is not None and rid.text, "no requestId"
            return rid.text
        assert root.tag == "Response", root.tag
        err = root.find("Errors/Error")
        assert err is not None and err.find("Code").text and \
            err.find("Message") is not None, raw
        rid = root.find("RequestID")
        assert rid is not None and rid.text
        return rid.text
    ns = MODELS[service].metadata["xmlNamespace"]
    if status == 200:
        assert root.tag == f"{{{ns}}}{action}Response", root.tag
        rid = root.find(f"{{{ns}}}ResponseMetadata/{{{ns}}}RequestId")
        assert rid is not None and rid.text
        return rid.text
    assert root.tag == f"{{{ns}}}ErrorResponse", root.tag
    rid = root.find(f"{{{ns}}}RequestId")
    assert rid is not None and rid.text
    return rid.text


class Sim:
    """An awssim process on a free port, stopped by pid in stop()."""

    def __init__(self, *args, key=KEY, secret=SECRET):
        self.tmp = tempfile.mkdtemp(prefix="awssim-test-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "log")
        self.key, self.secret = key, secret
        cmd = [AWSSIM, "--port", "0", "--port-file", self.port_file,
               "--access-key", key, "--secret-key", secret, *args]
        t0 = time.monotonic()
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = t0 + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("awssim did not start: " + self.read_log())
            time.sleep(0.01)
        self.startup = time.monotonic() - t0
        try:   # CPU seconds spent until ready: independent of machine load
            with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            self.startup_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            self.startup_cpu = None
        with open(self.port_file, encoding="ascii") as f:
            self.port = int(f.read())
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.request_ids = set()

    def read_log(self):
        if getattr(self, "kept_log", None) is not None:
            return self.kept_log
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.kept_log = self.read_log()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ raw HTTP

    def http(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def control(self, method, name, data=None):
        body = json.dumps(data).encode() if data is not None else None
        status, _, raw = self.http(method, "/_awssim/" + name, body,
                                   {"Content-Type": "application/json"} if body else {})
        if name == "checkip":
            return status, raw.decode()
        return status, json.loads(raw)

    # ------------------------------------------------------------ AWS calls

    def prepare(self, action, params=None, service="ec2", method="POST", extra=None):
        model = MODELS[service]
        op = model.operation_model(action)
        req = SERIALIZERS[service].serialize_to_request(params or {}, op)
        body_params = dict(req["body"], **(extra or {}))
        if method == "GET":
            url = self.endpoint + "/?" + urllib.parse.urlencode(body_params)
            aws = AWSRequest(method="GET", url=url, headers={})
        else:
            aws = AWSRequest(method="POST", url=self.endpoint + "/",
                             data=urllib.parse.urlencode(body_params).encode(),
                             headers=req["headers"])
        return op, aws

    def call(self, action, params=None, service="ec2", region="us-east-2",
             creds=None, method="POST", sign=True, mutate=None, signer=None,
             extra=None):
        """extra: more Query parameters, signed (names the model lacks)."""
        op, aws = self.prepare(action, params, service, method, extra)
        if sign:
            c = creds or Credentials(self.key, self.secret)
            (signer or SigV4Auth)(c, service, region).add_auth(aws)
        if mutate:
            mutate(aws)
        prepared = aws.prepare()
        split = urllib.parse.urlsplit(prepared.url)
        path = split.path + ("?" + split.query if split.query else "")
        status, headers, raw = self.http(prepared.method, path, prepared.body,
                                         dict(prepared.headers))
        return self.parse(service, op, status, headers, raw)

    def parse(self, service, op, status, headers, raw):
        rid = check_envelope(service, op.name, status, raw)
        assert rid not in self.request_ids, "request id reused"
        self.request_ids.add(rid)
        parsed = PARSERS[service].parse(
            {"status_code": status, "headers": headers, "body": raw},
            op.output_shape)
        RESPONSES_PARSED[0] += 1
        return Resp(status, parsed, raw, headers)

    def ok(self, action, service="ec2", region="us-east-2", **params):
        r = self.call(action, params, service=service, region=region)
        if r.status != 200:
            raise AssertionError(f"{action} failed: {r.status} {r.raw!r}")
        return r.parsed

    def fails(self, action, code, status=None, service="ec2",
              region="us-east-2", **params):
        r = self.call(action, params, service=service, region=region)
        if r.code != code or (status is not None and r.status != status):
            raise AssertionError(f"{action}: expected {code} {status}, got "
                                 f"{r.status} {r.raw!r}")
        return r

    def client(self, service, region="us-east-2", attempts=1, validate=True, **kw):
        """A boto3 client for this simulator (no retries unless asked;
        validate=False sends what botocore would refuse, to see AWS refuse it)."""
        import boto3
        from botocore.config import Config
        kw.setdefault("aws_access_key_id", self.key)
        kw.setdefault("aws_secret_access_key", self.secret)
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            config=Config(retries={"max_attempts": attempts},
                                          parameter_validation=validate), **kw)

    def wait_state(self, iid, state, timeout=20, region="us-east-2"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.call("DescribeInstances", {"InstanceIds": [iid]}, region=region)
            if r.status == 200:
                inst = r.parsed["Reservations"][0]["Instances"][0]
                if inst["State"]["Name"] == state:
                    return inst
            time.sleep(0.1)
        raise AssertionError(f"{iid} did not reach {state}")


class SimTest(unittest.TestCase):
    """A test case with one simulator for the whole class."""

    SIM_ARGS = ("--boot-seconds", "0.3", "--terminate-seconds", "0.3")
    sim = None

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(*cls.SIM_ARGS)

    @classmethod
    def tearDownClass(cls):
        if cls.sim is not None:
            cls.sim.stop()

    def setUp(self):
        status, _ = self.sim.control("POST", "reset")
        self.assertEqual(status, 200)

    # conveniences
    def ok(self, action, **kw):
        return self.sim.ok(action, **kw)

    def fails(self, action, code, status=None, **kw):
        return self.sim.fails(action, code, status, **kw)

    def refused(self, code, fn, *args, status=None, **kw):
        """fn(*args, **kw) must fail with AWS error `code` (and status)."""
        from botocore.exceptions import ClientError
        try:
            fn(*args, **kw)
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], code, e.response["Error"])
            if status is not None:
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], status)
            return e.response["Error"]
        self.fail(f"{getattr(fn, '__name__', fn)} succeeded; expected {code}")

    def vpc(self, cidr="10.20.0.0/16", **kw):
        return self.ok("CreateVpc", CidrBlock=cidr, **kw)["Vpc"]["VpcId"]

    def subnet(self, vpc, cidr="10.20.0.0/24", az="us-east-2a", public=True):
        sid = self.ok("CreateSubnet", VpcId=vpc, CidrBlock=cidr,
                      AvailabilityZone=az)["Subnet"]["SubnetId"]
        if public:
            self.ok("ModifySubnetAttribute", SubnetId=sid,
                    MapPublicIpOnLaunch={"Value": True})
        return sid

    def image(self, arch="x86_64", release="noble"):
        imgs = self.ok("DescribeImages", Owners=["099720109477"], Filters=[
            {"Name": "name", "Values": [f"ubuntu/images/*ubuntu-{release}-*"]},
            {"Name": "architecture", "Values": [arch]}])["Images"]
        return sorted(imgs, key=lambda i: i["CreationDate"])[-1]["ImageId"]

    def launch(self, subnet, **kw):
        params = dict(ImageId=self.image(), InstanceType="t3.micro",
                      MinCount=1, MaxCount=1, SubnetId=subnet)
        params.update(kw)
        return self.ok("RunInstances", **params)["Instances"][0]["InstanceId"]
