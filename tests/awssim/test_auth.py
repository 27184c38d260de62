"""Signature checks and STS sessions."""

import base64
import datetime
import json
import time

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials

from simclient import KEY, SimTest


class _SkewedSigner(SigV4Auth):
    """botocore's signer with the clock moved by `skew`."""

    skew = datetime.timedelta(minutes=16)

    def add_auth(self, request):
        now = datetime.datetime.now(datetime.timezone.utc) + _SkewedSigner.skew
        request.context["timestamp"] = now.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical)
        self._inject_signature_to_request(
            request, self.signature(string_to_sign, request))


def jwt(claims, alg="RS256", sig=b"signature"):
    def enc(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return ".".join([enc(json.dumps({"alg": alg, "typ": "JWT"}).encode()),
                     enc(json.dumps(claims).encode()), enc(sig)])


class AuthTest(SimTest):
    def test_good_signature_post_and_get(self):
        r = self.sim.call("DescribeVpcs")
        self.assertEqual(r.status, 200)
        r = self.sim.call("DescribeVpcs", method="GET")
        self.assertEqual(r.status, 200, r.raw)
        r = self.sim.call("GetCallerIdentity", service="sts", method="GET")
        self.assertEqual(r.status, 200, r.raw)

    def test_wrong_secret_ec2(self):
        r = self.sim.call("DescribeVpcs", creds=Credentials(KEY, "wrong-secret"))
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))

    def test_wrong_secret_sts(self):
        r = self.sim.call("GetCallerIdentity", service="sts",
                          creds=Credentials(KEY, "wrong-secret"))
        self.assertEqual((r.status, r.code), (403, "SignatureDoesNotMatch"))

    def test_unknown_key(self):
        c = Credentials("AKIDUNKNOWN000000000", "x")
        r = self.sim.call("DescribeVpcs", creds=c)
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))
        r = self.sim.call("GetCallerIdentity", service="sts", creds=c)
        self.assertEqual((r.status, r.code), (403, "InvalidClientTokenId"))

    def test_missing_authorization(self):
        r = self.sim.call("DescribeVpcs", sign=False)
        self.assertEqual((r.status, r.code), (401, "MissingAuthenticationToken"))
        r = self.sim.call("GetCallerIdentity", service="sts", sign=False)
        self.assertEqual((r.status, r.code), (403, "MissingAuthenticationToken"))

    def test_malformed_authorization(self):
        def bad(req):
            req.headers.replace_header("Authorization", "AWS4-HMAC-SHA256 garbage")
        r = self.sim.call("DescribeVpcs", mutate=bad)
        self.assertEqual((r.status, r.code), (400, "IncompleteSignature"))

        def short_scope(req):
            v = req.headers["Authorization"].replace("/us-east-2/ec2/", "/ec2/")
            req.headers.replace_header("Authorization", v)
        r = self.sim.call("DescribeVpcs", mutate=short_scope)
        self.assertEqual((r.status, r.code), (400, "IncompleteSignature"))

    def test_tampered_body(self):
        def tamper(req):
            req.data = req.data.replace(b"DescribeVpcs", b"DescribeVpcs&MaxResults=5")
        r = self.sim.call("DescribeVpcs", mutate=tamper)
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))

    def test_wrong_region_scope_still_checked(self):
        # Signed for us-west-2: a valid signature, answered from that region.
        r = self.sim.call("DescribeAvailabilityZones", region="us-west-2")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.parsed["AvailabilityZones"][0]["RegionName"], "us-west-2")
        r = self.sim.call("DescribeVpcs", region="mars-north-1")
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))

    def test_request_expired(self):
        _SkewedSigner.skew = datetime.timedelta(minutes=16)
        r = self.sim.call("DescribeVpcs", signer=_SkewedSigner)
        self.assertEqual((r.status, r.code), (400, "RequestExpired"))
        r = self.sim.call("GetCallerIdentity", service="sts", signer=_SkewedSigner)
        self.assertEqual((r.status, r.code), (403, "SignatureDoesNotMatch"))
        _SkewedSigner.skew = datetime.timedelta(minutes=-16)
        r = self.sim.call("DescribeVpcs", signer=_SkewedSigner)
        self.assertEqual((r.status, r.code), (400, "RequestExpired"))
        _SkewedSigner.skew = datetime.timedelta(minutes=14)
        r = self.sim.call("DescribeVpcs", signer=_SkewedSigner)
        self.assertEqual(r.status, 200)

    def test_scope_service_must_match(self):
        def as_sts(req):
            v = req.headers["Authorization"].replace("/ec2/", "/sts/")
            req.headers.replace_header("Authorization", v)
        # EC2 action under an STS scope: routed to EC2 and rejected.
        r = self.sim.call("DescribeVpcs", mutate=as_sts)
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))

    def test_caller_identity(self):
        p = self.ok("GetCallerIdentity", service="sts")
        self.assertEqual(p["Account"], "123456789012")
        self.assertEqual(p["Arn"], "arn:aws:iam::123456789012:user/awssim")

    def test_assume_role_session(self):
        p = self.ok("AssumeRole", service="sts",
                    RoleArn="arn:aws:iam::123456789012:role/deployer",
                    RoleSessionName="ci-run")
        c = p["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertEqual(p["AssumedRoleUser"]["Arn"],
                         "arn:aws:sts::123456789012:assumed-role/deployer/ci-run")
        creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        r = self.sim.call("GetCallerIdentity", service="sts", creds=creds)
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.parsed["Arn"], p["AssumedRoleUser"]["Arn"])
        r = self.sim.call("DescribeVpcs", creds=creds)
        self.assertEqual(r.status, 200)
        # the temporary key without its token, or with another token
        r = self.sim.call("DescribeVpcs",
                          creds=Credentials(c["AccessKeyId"], c["SecretAccessKey"]))
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))
        r = self.sim.call("DescribeVpcs",
                          creds=Credentials(c["AccessKeyId"], c["SecretAccessKey"],
                                            "forged" + c["SessionToken"]))
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))
        r = self.sim.call("DescribeVpcs",
                          creds=Credentials(c["AccessKeyId"], "wrong", c["SessionToken"]))
        self.assertEqual((r.status, r.code), (401, "AuthFailure"))
        # expired
        self.sim.control("POST", "expire-credentials")
        r = self.sim.call("DescribeVpcs", creds=creds)
        self.assertEqual((r.status, r.code), (400, "RequestExpired"))
        r = self.sim.call("GetCallerIdentity", service="sts", creds=creds)
        self.assertEqual((r.status, r.code), (403, "ExpiredToken"))

    def test_assume_role_rules(self):
        self.fails("AssumeRole", "AccessDenied", 403, service="sts",
                   RoleArn="arn:aws:iam::999999999999:role/x", RoleSessionName="s1")
        self.fails("AssumeRole", "ValidationError", 400, service="sts",
                   RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="a b")
        self.fails("AssumeRole", "ValidationError", 400, service="sts",
                   RoleArn="not-an-arn", RoleSessionName="s1")
        self.fails("AssumeRole", "ValidationError", 400, service="sts",
                   RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="s1",
                   DurationSeconds=60)

    def test_web_identity(self):
        tok = jwt({"iss": "https://token.actions.githubusercontent.com",
                   "sub": "repo:acme/craft:ref:refs/heads/main", "aud": "sts.amazonaws.com",
                   "exp": int(time.time()) + 600})
        r = self.sim.call("AssumeRoleWithWebIdentity", {
            "RoleArn": "arn:aws:iam::123456789012:role/gha",
            "RoleSessionName": "gha", "WebIdentityToken": tok},
            service="sts", sign=False)
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.parsed["SubjectFromWebIdentityToken"],
                         "repo:acme/craft:ref:refs/heads/main")
        self.assertEqual(r.parsed["Provider"], "token.actions.githubusercontent.com")
        c = r.parsed["Credentials"]
        creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        r2 = self.sim.call("DescribeVpcs", creds=creds)
        self.assertEqual(r2.status, 200)
        for bad in ("not-a-jwt", "a.b.c", jwt({"iss": "x", "sub": "y"}),
                    jwt({"iss": "x", "sub": "y", "aud": "z"}, alg="none", sig=b"")):
            r = self.sim.call("AssumeRoleWithWebIdentity", {
                "RoleArn": "arn:aws:iam::123456789012:role/gha",
                "RoleSessionName": "gha", "WebIdentityToken": bad},
                service="sts", sign=False)
            self.assertEqual((r.status, r.code), (400, "InvalidIdentityToken"), bad)
        expired = jwt({"iss": "x", "sub": "y", "aud": "z", "exp": 1000})
        r = self.sim.call("AssumeRoleWithWebIdentity", {
            "RoleArn": "arn:aws:iam::123456789012:role/gha",
            "RoleSessionName": "gha", "WebIdentityToken": expired},
            service="sts", sign=False)
        self.assertEqual((r.status, r.code), (400, "ExpiredTokenException"))

    def test_signed_assume_role_with_web_identity_needs_no_auth(self):
        # GetCallerIdentity unsigned is still refused
        r = self.sim.call("GetCallerIdentity", service="sts", sign=False)
        self.assertEqual(r.code, "MissingAuthenticationToken")
