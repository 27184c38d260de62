"""The service table: routing, signatures, validation and faults for every
service and protocol on the one port, with hand-made requests."""

import json
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from simclient import KEY, SECRET, SimTest

R53 = "https://route53.amazonaws.com/doc/2013-04-01/"


class ServicesTest(SimTest):
    def raw(self, method, path, service, body=b"", headers=None, secret=SECRET,
            region="us-east-1", key=KEY):
        """A request signed by botocore, sent as is; (status, headers, body)."""
        req = AWSRequest(method=method, url=self.sim.endpoint + path, data=body,
                         headers=headers or {})
        SigV4Auth(Credentials(key, secret), service, region).add_auth(req)
        p = req.prepare()
        split = urllib.parse.urlsplit(p.url)
        target = split.path + ("?" + split.query if split.query else "")
        return self.sim.http(p.method, target, p.body, dict(p.headers))

    def test_rest_xml_routing_and_errors(self):
        status, headers, body = self.raw("GET", "/2013-04-01/hostedzone", "route53")
        self.assertEqual(status, 200, body)
        self.assertIn(b"<ListHostedZonesResponse xmlns=\"" + R53.encode(), body)
        self.assertTrue(headers.get("x-amzn-RequestId"))
        status, _, body = self.raw("GET", "/2013-04-01/hostedzone", "route53",
                                   secret="wrong")
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", body)
        self.assertIn(b"<ErrorResponse xmlns=\"" + R53.encode(), body)
        status, _, body = self.raw("GET", "/2013-04-01/hostedzone", "route53",
                                   key="AKIDNOSUCHKEY0000000")
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>InvalidClientTokenId</Code>", body)
        status, _, body = self.sim.http("GET", "/2013-04-01/hostedzone")
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>MissingAuthenticationToken</Code>", body)
        status, _, body = self.raw("GET", "/2013-04-01/nothing-here", "route53")
        self.assertEqual(status, 404)
        status, _, body = self.raw("PUT", "/2013-04-01/hostedzone", "route53")
        self.assertEqual(status, 405)
        # an element the input shape does not have, and a missing required one
        xml = (f'<CreateHostedZoneRequest xmlns="{R53}"><Name>a.example.com</Name>'
               f"<CallerReference>x</CallerReference><Colour>blue</Colour>"
               f"</CreateHostedZoneRequest>").encode()
        status, _, body = self.raw("POST", "/2013-04-01/hostedzone", "route53", xml)
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidInput</Code>", body)
        self.assertIn(b"Colour", body)
        xml = (f'<CreateHostedZoneRequest xmlns="{R53}"><Name>a.example.com</Name>'
               f"</CreateHostedZoneRequest>").encode()
        status, _, body = self.raw("POST", "/2013-04-01/hostedzone", "route53", xml)
        self.assertEqual(status, 400)
        self.assertIn(b"callerReference", body)
        status, _, body = self.raw("POST", "/2013-04-01/hostedzone", "route53", b"<oops")
        self.assertIn(b"<Code>InvalidInput</Code>", body)
        # the id goes bare in the path (botocore strips "/hostedzone/"); the
        # whole id, escaped, is longer than the model's 32 characters
        r53 = self.sim.client("route53")
        zid = r53.create_hosted_zone(Name="a.example.com", CallerReference="c")[
            "HostedZone"]["Id"]
        status, _, body = self.raw("GET", "/2013-04-01/hostedzone/" +
                                   zid.split("/")[-1], "route53")
        self.assertEqual(status, 200, body)
        status, _, body = self.raw("GET", "/2013-04-01/hostedzone/" +
                                   urllib.parse.quote(zid, safe=""), "route53")
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>InvalidInput</Code>", body)

    def test_query_services_by_action_and_scope(self):
        # IAM's action signed for IAM; EC2's for EC2: one port
        self.assertEqual(self.sim.call("ListRoles", service="iam").status, 200)
        self.assertEqual(self.sim.call("DescribeVpcs").status, 200)
        # an IAM action under an EC2 scope is refused as IAM would
        def as_ec2(req):
            v = req.headers["Authorization"].replace("/iam/", "/ec2/")
            req.headers.replace_header("Authorization", v)
        r = self.sim.call("ListRoles", service="iam", mutate=as_ec2)
        self.assertEqual((r.status, r.code), (403, "SignatureDoesNotMatch"))
        r = self.sim.call("ListRoles", service="iam", extra={"Version": "2011-06-15"})
        self.assertEqual(r.code, "InvalidAction")

    def test_faults_for_every_service(self):
        script = [{"action": "ListRoles", "code": "Throttling", "status": 400},
                  {"action": "ListHostedZones", "code": "PriorRequestNotComplete",
                   "status": 400}]
        self.assertEqual(self.sim.control("POST", "faults", {"script": script})[0], 200)
        r = self.sim.call("ListRoles", service="iam")
        self.assertEqual((r.status, r.code), (400, "Throttling"))
        status, _, body = self.raw("GET", "/2013-04-01/hostedzone", "route53")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>PriorRequestNotComplete</Code>", body)
        self.sim.control("POST", "faults", {"throttle_rate": 1.0})
        try:
            r = self.sim.call("ListRoles", service="iam")
            self.assertEqual((r.status, r.code), (400, "Throttling"))
            status, _, body = self.raw("GET", "/2013-04-01/hostedzone", "route53")
            self.assertEqual(status, 400)
            self.assertIn(b"<Code>Throttling</Code>", body)
            self.sim.control("POST", "faults", {"throttle_rate": 0.0, "fault_rate": 1.0})
            r = self.sim.call("ListRoles", service="iam")
            self.assertEqual((r.status, r.code), (500, "ServiceFailure"))
            status, _, body = self.raw("GET", "/2013-04-01/hostedzone", "route53")
            self.assertEqual(status, 500)
            self.assertIn(b"<Code>InternalFailure</Code>", body)
        finally:
            self.sim.control("POST", "faults", {"throttle_rate": 0.0, "fault_rate": 0.0})
        # a JSON service answers in its own words
        self.sim.control("POST", "faults", {"throttle_rate": 1.0})
        try:
            self.refused("ThrottlingException", self.sim.client("ecr").describe_repositories,
                         status=400)
            self.sim.control("POST", "faults", {"throttle_rate": 0.0, "fault_rate": 1.0})
            self.refused("ServerException", self.sim.client("ecr").describe_repositories,
                         status=500)
        finally:
            self.sim.control("POST", "faults", {"throttle_rate": 0.0, "fault_rate": 0.0})
        _, calls = self.sim.control("GET", "calls")
        self.assertIn(("route53", "ListHostedZones"),
                      {(c["service"], c["action"]) for c in calls})

    def test_json_routing_and_errors(self):
        target = "AmazonEC2ContainerRegistry_V20150921."
        hdr = {"Content-Type": "application/x-amz-json-1.1"}
        status, headers, body = self.raw("POST", "/", "ecr", b"{}",
                                         dict(hdr, **{"X-Amz-Target": target + "DescribeRepositories"}),
                                         region="us-east-2")
        self.assertEqual((status, json.loads(body)), (200, {"repositories": []}))
        self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.1")
        for doc, code in ((b'{"colour": 1}', "ValidationException"),
                          (b'{"maxResults": "ten"}', "SerializationException"),
                          (b"[not json", "SerializationException")):
            status, _, body = self.raw("POST", "/", "ecr", doc, dict(
                hdr, **{"X-Amz-Target": target + "DescribeRepositories"}))
            self.assertEqual((status, json.loads(body)["__type"]), (400, code), body)
        status, _, body = self.raw("POST", "/", "ecr", b"{}", dict(
            hdr, **{"X-Amz-Target": target + "LaunchRockets"}))
        self.assertEqual(json.loads(body)["__type"], "UnknownOperationException")
        status, _, body = self.raw("POST", "/", "ecr", b"{}", dict(
            hdr, **{"X-Amz-Target": target + "DescribeRepositories"}), secret="wrong")
        self.assertEqual((status, json.loads(body)["__type"]), (400, "InvalidSignatureException"))

    def test_state_and_reset(self):
        self.sim.client("route53").create_hosted_zone(Name="b.example.com",
                                                      CallerReference="c")
        _, state = self.sim.control("GET", "state/route53")
        self.assertEqual([z["Name"] for z in state["hosted_zones"]], ["b.example.com."])
        self.assertEqual(len(state["hosted_zones"][0]["ResourceRecordSets"]), 2)
        self.sim.control("POST", "reset")
        _, state = self.sim.control("GET", "state/route53")
        self.assertEqual(state["hosted_zones"], [])
        status, _ = self.sim.control("GET", "state/nosuch")
        self.assertEqual(status, 404)
        # the EC2 state keeps its shape: regions only
        _, state = self.sim.control("GET", "state")
        self.assertTrue(all(k.count("-") == 2 for k in state), json.dumps(list(state)))
