"""Request validation against botocore's model, XML envelopes, DryRun, startup."""

import os
import socket
import urllib.parse

from simclient import Sim, SimTest


class ProtocolTest(SimTest):
    def raw_call(self, params, service="ec2"):
        """A signed POST with hand-made params (bypassing the serializer)."""
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials
        base = "DescribeVpcs" if service == "ec2" else "GetCallerIdentity"
        op, aws = self.sim.prepare(base, {}, service)
        aws.data = urllib.parse.urlencode(params).encode()
        SigV4Auth(Credentials(self.sim.key, self.sim.secret), service,
                  "us-east-2").add_auth(aws)
        prepared = aws.prepare()
        status, headers, raw = self.sim.http("POST", "/", prepared.body,
                                             dict(prepared.headers))
        action = params.get("Action", base)
        from simclient import MODELS
        name = action if action in MODELS[service].operation_names else base
        return self.sim.parse(service, MODELS[service].operation_model(name),
                              status, headers, raw)

    def test_unknown_parameter(self):
        r = self.raw_call({"Action": "DescribeVpcs", "Version": "2016-11-15",
                           "Bogus": "1"})
        self.assertEqual((r.status, r.code), (400, "UnknownParameter"))
        # botocore's input names, not the wire names, are unknown too
        r = self.raw_call({"Action": "DescribeVpcs", "Version": "2016-11-15",
                           "Filters.1.Name": "vpc-id"})
        self.assertEqual(r.code, "UnknownParameter")
        r = self.raw_call({"Action": "DescribeVpcs", "Version": "2016-11-15",
                           "Filter.1.Name": "vpc-id", "Filter.1.Value.1": "vpc-1"})
        self.assertEqual(r.status, 200)

    def test_missing_parameter(self):
        r = self.raw_call({"Action": "DeleteVpc", "Version": "2016-11-15"})
        self.assertEqual((r.status, r.code), (400, "MissingParameter"))
        r = self.raw_call({"Action": "DescribeVpcs"})
        self.assertEqual(r.code, "MissingParameter")

    def test_invalid_values(self):
        r = self.raw_call({"Action": "DescribeVpcs", "Version": "2016-11-15",
                           "MaxResults": "ten"})
        self.assertEqual((r.status, r.code), (400, "InvalidParameterValue"))
        r = self.raw_call({"Action": "DescribeVpcs", "Version": "2016-11-15",
                           "DryRun": "maybe"})
        self.assertEqual(r.code, "InvalidParameterValue")
        r = self.raw_call({"Action": "DescribeVpcAttribute", "Version": "2016-11-15",
                           "VpcId": "vpc-12345678", "Attribute": "colour"})
        self.assertEqual(r.code, "InvalidParameterValue")
        r = self.raw_call({"Action": "ImportKeyPair", "Version": "2016-11-15",
                           "KeyName": "k", "PublicKeyMaterial": "%%%not base64"})
        self.assertEqual(r.code, "InvalidParameterValue")

    def test_invalid_action(self):
        r = self.raw_call({"Action": "LaunchMissiles", "Version": "2016-11-15"})
        self.assertEqual((r.status, r.code), (400, "InvalidAction"))
        r = self.raw_call({"Version": "2016-11-15"})
        self.assertEqual(r.code, "MissingAction")

    def test_sts_validation(self):
        r = self.raw_call({"Action": "AssumeRole", "Version": "2011-06-15",
                           "RoleArn": "arn:aws:iam::123456789012:role/x"}, service="sts")
        self.assertEqual((r.status, r.code), (400, "ValidationError"))

    def test_envelope_and_request_ids(self):
        ids = set()
        for _ in range(5):
            r = self.sim.call("DescribeVpcs")
            ids.add(r.parsed["ResponseMetadata"]["RequestId"])
            self.assertIn(b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"', r.raw)
        self.assertEqual(len(ids), 5)
        r = self.sim.call("DeleteVpc", {"VpcId": "vpc-0123456789abcdef0"})
        self.assertIn(b"<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>", r.raw)
        self.assertIn(b"<RequestID>", r.raw)

    def test_dry_run(self):
        r = self.sim.call("CreateVpc", {"CidrBlock": "10.9.0.0/16", "DryRun": True})
        self.assertEqual((r.status, r.code), (412, "DryRunOperation"))
        vpcs = self.ok("DescribeVpcs", Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])
        self.assertEqual(vpcs["Vpcs"], [])
        vpc = self.vpc()
        sub = self.subnet(vpc)
        r = self.sim.call("RunInstances", {"ImageId": self.image(), "MinCount": 1,
                                           "MaxCount": 1, "InstanceType": "t3.micro",
                                           "SubnetId": sub, "DryRun": True})
        self.assertEqual((r.status, r.code), (412, "DryRunOperation"))
        self.assertEqual(self.ok("DescribeInstances")["Reservations"], [])
        r = self.sim.call("DeleteVpc", {"VpcId": vpc, "DryRun": True})
        self.assertEqual(r.code, "DryRunOperation")
        r = self.sim.call("DeleteSubnet", {"SubnetId": sub, "DryRun": True})
        self.assertEqual(r.code, "DryRunOperation")
        self.ok("DescribeSubnets", SubnetIds=[sub])
        iid = self.launch(sub)
        r = self.sim.call("TerminateInstances", {"InstanceIds": [iid], "DryRun": True})
        self.assertEqual(r.code, "DryRunOperation")
        st = self.ok("DescribeInstances", InstanceIds=[iid])
        self.assertIn(st["Reservations"][0]["Instances"][0]["State"]["Name"],
                      ("pending", "running"))

    def test_keep_alive_and_concurrency(self):
        # Two requests on one connection (HTTP/1.1 keep-alive).
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=10)
        for _ in range(2):
            conn.request("GET", "/_awssim/calls")
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        conn.close()


class StartupTest(SimTest):
    SIM_ARGS = ()

    def test_startup_under_one_second(self):
        times, cpus = [], []
        for _ in range(3):
            s = Sim()
            try:
                times.append(s.startup)
                cpus.append(s.startup_cpu)
                # the port file is written only once connections are accepted
                with socket.create_connection(("127.0.0.1", s.port), timeout=1):
                    pass
                r = s.call("DescribeAvailabilityZones")
                self.assertEqual(r.status, 200)
            finally:
                s.stop()
            self.assertIsNotNone(s.proc.returncode)
        load = os.getloadavg()[0]
        print(f"\n  awssim startup: wall {', '.join(f'{t:.3f}s' for t in times)}; "
              f"CPU until ready {', '.join(f'{c:.2f}s' for c in cpus)}; "
              f"load average {load:.1f} on {os.cpu_count()} CPUs")
        # CPU time does not depend on what else the machine is doing
        self.assertLess(max(cpus), 0.6)
        if load <= os.cpu_count():
            self.assertLess(min(times), 1.0)
        else:
            self.assertLess(min(times), 3.0)

    def test_stops_on_sigterm(self):
        s = Sim()
        s.stop()
        self.assertEqual(s.proc.returncode, 0, s.read_log())
        self.assertIn("stopped", s.read_log())
