"""Eventual consistency, seeded faults, latency and the control endpoints."""

import socket
import threading
import time

from simclient import Sim, SimTest
from test_network import ssh_pubkey


class ConsistencyTest(SimTest):
    SIM_ARGS = ("--consistency-delay-ms", "1500", "--seed", "3")

    def test_new_resources_invisible_for_a_while(self):
        # With a 1.5 s window, some of ten new VPC-children must be invisible
        # right after their creation, and all visible after the window.
        vpc = self.vpc()
        t_created = time.monotonic()
        subs = [self.ok("CreateSubnet", VpcId=vpc, CidrBlock=f"10.20.{i}.0/24",
                        AvailabilityZone="us-east-2a")["Subnet"]["SubnetId"] for i in range(10)]
        listed = self.ok("DescribeSubnets", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
        early = len(listed["Subnets"])
        if time.monotonic() - t_created < 1.0:
            self.assertLess(early, 10)
        missing = [s for s in subs if self.sim.call("DescribeSubnets",
                                                     {"SubnetIds": [s]}).code]
        for s in missing:
            r = self.sim.call("DescribeSubnets", {"SubnetIds": [s]})
            if r.status != 200:
                self.assertEqual(r.code, "InvalidSubnetID.NotFound")
        # mutations naming an invisible resource still work
        self.ok("CreateTags", Resources=subs, Tags=[{"Key": "a", "Value": "b"}])
        time.sleep(1.6)
        listed = self.ok("DescribeSubnets", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
        self.assertEqual(len(listed["Subnets"]), 10)
        self.ok("DescribeSubnets", SubnetIds=subs)

    def test_same_seed_same_delays(self):
        def visible_pattern():
            sim = Sim("--consistency-delay-ms", "60000", "--seed", "11")
            try:
                vpc = sim.ok("CreateVpc", CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
                state = sim.call("DescribeVpcs", {"VpcIds": [vpc]}).code
                ids = [sim.ok("CreateSubnet", VpcId=vpc, CidrBlock=f"10.1.{i}.0/24",
                              AvailabilityZone="us-east-2b")["Subnet"]["SubnetId"]
                       for i in range(3)]
                return vpc, state, ids
            finally:
                sim.stop()
        a = visible_pattern()
        b = visible_pattern()
        self.assertEqual(a, b)   # same ids and the same visibility
        self.assertEqual(a[1], "InvalidVpcID.NotFound")


class ConsistencyMutationsTest(SimTest):
    SIM_ARGS = ("--consistency-delay-ms", "60000", "--consistency-mutations", "--seed", "2")

    def test_fresh_resources_unknown_to_mutations(self):
        vpc = self.ok("CreateVpc", CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        # with a window of up to a minute, the odds that a fresh VPC is visible
        # at once are small but not zero: the seed fixes the draw
        r = self.sim.call("CreateTags", {"Resources": [vpc],
                                         "Tags": [{"Key": "a", "Value": "b"}]})
        self.assertEqual((r.status, r.code), (400, "InvalidVpcID.NotFound"))
        r = self.sim.call("CreateSubnet", {"VpcId": vpc, "CidrBlock": "10.7.0.0/24"})
        self.assertEqual(r.code, "InvalidVpcID.NotFound")
        # the default VPC has always existed
        dv = self.ok("DescribeVpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])
        self.ok("CreateTags", Resources=[dv["Vpcs"][0]["VpcId"]],
                Tags=[{"Key": "a", "Value": "b"}])


class FaultTest(SimTest):
    SIM_ARGS = ()

    def pattern(self, *args, n=40):
        sim = Sim(*args)
        try:
            return [sim.call("DescribeVpcs").code for _ in range(n)]
        finally:
            sim.stop()

    def test_seeded_faults_repeat(self):
        a = self.pattern("--throttle-rate", "0.3", "--fault-rate", "0.2", "--seed", "5")
        b = self.pattern("--throttle-rate", "0.3", "--fault-rate", "0.2", "--seed", "5")
        self.assertEqual(a, b)
        self.assertIn("RequestLimitExceeded", a)
        self.assertIn("InternalError", a)
        self.assertIn(None, a)
        c = self.pattern("--throttle-rate", "0.3", "--fault-rate", "0.2", "--seed", "6")
        self.assertNotEqual(a, c)

    def test_fault_statuses_and_no_side_effects(self):
        self.sim.control("POST", "faults", {"throttle_rate": 1.0})
        r = self.sim.call("CreateVpc", {"CidrBlock": "10.3.0.0/16"})
        self.assertEqual((r.status, r.code), (503, "RequestLimitExceeded"))
        r = self.sim.call("GetCallerIdentity", service="sts")
        self.assertEqual((r.status, r.code), (400, "Throttling"))
        self.sim.control("POST", "faults", {"throttle_rate": 0.0, "fault_rate": 1.0})
        r = self.sim.call("CreateVpc", {"CidrBlock": "10.3.0.0/16"})
        self.assertEqual((r.status, r.code), (500, "InternalError"))
        self.sim.control("POST", "faults", {"fault_rate": 0.0})
        vpcs = self.ok("DescribeVpcs", Filters=[{"Name": "cidr", "Values": ["10.3.0.0/16"]}])
        self.assertEqual(vpcs["Vpcs"], [])
        # a bad signature is refused before any fault is drawn
        self.sim.control("POST", "faults", {"throttle_rate": 1.0})
        from botocore.credentials import Credentials
        r = self.sim.call("DescribeVpcs", creds=Credentials(self.sim.key, "bad"))
        self.assertEqual(r.code, "AuthFailure")
        self.sim.control("POST", "faults", {"throttle_rate": 0.0})

    def test_scripted_faults(self):
        status, body = self.sim.control("POST", "faults", {"script": [
            {"action": "RunInstances", "code": "InsufficientInstanceCapacity",
             "status": 500, "message": "We currently do not have sufficient capacity",
             "count": 1}]})
        self.assertEqual(status, 200)
        img = [i for i in self.ok("DescribeImages", Owners=["099720109477"])["Images"]
               if i["Architecture"] == "x86_64"][0]["ImageId"]
        params = {"ImageId": img, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
        r = self.sim.call("RunInstances", params)
        self.assertEqual((r.status, r.code), (500, "InsufficientInstanceCapacity"))
        r = self.sim.call("RunInstances", params)
        self.assertEqual(r.status, 200)
        status, _ = self.sim.control("POST", "faults", {"throttle_rate": 7})
        self.assertEqual(status, 400)

    def test_fault_after_the_call_took_effect(self):
        # The response is lost but the launch happened: a retry with the same
        # ClientToken must find the same instance, not launch a second one.
        self.sim.control("POST", "faults", {"script": [
            {"action": "RunInstances", "code": "InternalError", "status": 500,
             "count": 1, "after": True}]})
        img = [i for i in self.ok("DescribeImages", Owners=["099720109477"])["Images"]
               if i["Architecture"] == "x86_64"][0]["ImageId"]
        params = {"ImageId": img, "InstanceType": "t3.micro", "MinCount": 1,
                  "MaxCount": 1, "ClientToken": "lost-response-1"}
        r = self.sim.call("RunInstances", params)
        self.assertEqual((r.status, r.code), (500, "InternalError"))
        r = self.sim.call("RunInstances", params)
        self.assertEqual(r.status, 200)
        n = sum(len(x["Instances"]) for x in self.ok("DescribeInstances")["Reservations"])
        self.assertEqual(n, 1)
        _, calls = self.sim.control("GET", "calls")
        runs = [c for c in calls if c["action"] == "RunInstances"]
        self.assertEqual(runs[0].get("applied"), True)
        self.assertEqual(runs[1]["params"]["ClientToken"], "lost-response-1")

    def test_ignored_call_answers_success_and_changes_nothing(self):
        pub = ssh_pubkey("ed25519")[0]
        kid = self.ok("ImportKeyPair", KeyName="liar", PublicKeyMaterial=pub.encode())["KeyPairId"]
        self.sim.control("POST", "faults", {"script": [
            {"action": "DeleteKeyPair", "ignore": True, "count": 1}]})
        r = self.ok("DeleteKeyPair", KeyPairId=kid)
        self.assertTrue(r.get("Return", True))
        self.assertEqual(len(self.ok("DescribeKeyPairs", KeyPairIds=[kid])["KeyPairs"]), 1)
        _, calls = self.sim.control("GET", "calls")
        self.assertEqual([c.get("ignored") for c in calls if c["action"] == "DeleteKeyPair"],
                         [True])
        self.ok("DeleteKeyPair", KeyPairId=kid)  # count spent: this one deletes
        self.fails("DescribeKeyPairs", "InvalidKeyPair.NotFound", KeyPairIds=[kid])

    def test_md5_key_fingerprints(self):
        pub = ssh_pubkey("ed25519")[0]
        kid = self.ok("ImportKeyPair", KeyName="md5", PublicKeyMaterial=pub.encode())["KeyPairId"]
        sha = self.ok("DescribeKeyPairs", KeyPairIds=[kid])["KeyPairs"][0]["KeyFingerprint"]
        self.sim.control("POST", "faults", {"key_fingerprint": "md5"})
        try:
            md5 = self.ok("DescribeKeyPairs", KeyPairIds=[kid])["KeyPairs"][0]["KeyFingerprint"]
        finally:
            self.sim.control("POST", "faults", {"key_fingerprint": "sha256"})
        self.assertRegex(md5, r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")
        self.assertNotEqual(md5, sha)
        status, _ = self.sim.control("POST", "faults", {"key_fingerprint": "sha1"})
        self.assertEqual(status, 400)


class LatencyTest(SimTest):
    SIM_ARGS = ("--latency-ms", "400")

    def test_concurrent_calls_wait_in_parallel(self):
        results = []

        def one():
            results.append(self.sim.call("DescribeVpcs").status)

        t0 = time.monotonic()
        one()
        single = time.monotonic() - t0
        self.assertGreaterEqual(single, 0.4)
        # 16 calls: 0.4 s in parallel (plus the machine's load), 6.4 s queued
        # one by one, 3.2 s if only two were served at a time
        threads = [threading.Thread(target=one) for _ in range(16)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        self.assertEqual(results, [200] * 17)
        self.assertLess(elapsed, 3.2, f"16 parallel calls took {elapsed:.2f}s")


class ControlTest(SimTest):
    def test_state_calls_reset_checkip(self):
        vpc = self.vpc()
        self.sim.call("DeleteSubnet", {"SubnetId": "subnet-0123456789abcdef0"})
        status, state = self.sim.control("GET", "state")
        self.assertEqual(status, 200)
        self.assertIn(vpc, [v["VpcId"] for v in state["us-east-2"]["vpcs"]])
        self.assertIn("security_groups", state["us-east-2"])
        status, calls = self.sim.control("GET", "calls")
        self.assertEqual([(c["action"], c["status"], c["error"]) for c in calls],
                         [("CreateVpc", 200, None),
                          ("DeleteSubnet", 400, "InvalidSubnetID.NotFound")])
        status, ip = self.sim.control("GET", "checkip")
        self.assertEqual((status, ip), (200, "127.0.0.1\n"))
        self.sim.control("POST", "reset")
        _, state = self.sim.control("GET", "state")
        self.assertEqual(state, {})
        _, calls = self.sim.control("GET", "calls")
        self.assertEqual(calls, [])
        status, _ = self.sim.control("GET", "nothing-here")
        self.assertEqual(status, 404)


class InFlightTest(SimTest):
    SIM_ARGS = ("--latency-ms", "600")

    def test_health_counts_the_calls_in_flight(self):
        def health():
            status, h = self.sim.control("GET", "health")
            self.assertEqual(status, 200)
            return h["in_flight"], h["calls"]

        def settle(want):
            deadline = time.monotonic() + 10
            while health()[0] != want and time.monotonic() < deadline:
                time.sleep(0.05)
            return health()[0]

        self.assertEqual(health(), (0, 0))
        # an idle connection is no call in flight
        idle = socket.create_connection(("127.0.0.1", self.sim.port), timeout=10)
        self.addCleanup(idle.close)
        time.sleep(0.2)
        self.assertEqual(health(), (0, 0))
        # a call still sleeping its latency is
        t = threading.Thread(target=lambda: self.sim.call("DescribeVpcs"))
        t.start()
        self.assertEqual(settle(1), 1)
        t.join()
        self.assertEqual(health(), (0, 1))


class RateLimitTest(SimTest):
    SIM_ARGS = ("--ec2-rate-limits",)

    def test_token_buckets(self):
        codes = []

        def burst(n):
            for _ in range(n):
                codes.append(self.sim.call("DescribeVpcs").code)

        threads = [threading.Thread(target=burst, args=(25,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(codes), 200)
        self.assertGreaterEqual(codes.count(None), 50)        # the bucket's size
        self.assertIn("RequestLimitExceeded", codes)
        self.assertEqual(set(codes), {None, "RequestLimitExceeded"})
        # other buckets are untouched: filtered describes and mutations
        self.ok("DescribeVpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])
        self.ok("CreateVpc", CidrBlock="10.4.0.0/16")
        # and the unfiltered bucket refills at 10 per second
        time.sleep(0.3)
        self.ok("DescribeVpcs")
