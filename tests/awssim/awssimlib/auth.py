"""SigV4 verification for the AWS simulator, by botocore's own signer.

The simulator never trusts its own reading of SigV4: it rebuilds the request
as botocore's AWSRequest (method, path, raw query string, exactly the headers
the client listed in SignedHeaders, the raw body), hands it to botocore's
SigV4Auth with the secret it knows for the access key and the timestamp and
scope the client claimed, and compares the signature botocore computes with
the one the client sent (constant-time).
"""

import datetime
import hashlib
import hmac
import re
import threading

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from .protocol import AwsError

REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
]

MAX_SKEW = datetime.timedelta(minutes=15)

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+(?P<params>.*)$", re.DOTALL
)


class _Verifier(SigV4Auth):
    """botocore's SigV4Auth, told which headers the client signed."""

    def __init__(self, credentials, service, region, signed):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                header_map[name] = value
        return header_map


class Principal:
    """Who signed a request: a configured user or an assumed-role session."""

    def __init__(self, access_key, secret_key, arn, user_id, token=None,
                 expires=None, account=None):
        self.access_key = access_key
        self.secret_key = secret_key
        self.arn = arn
        self.user_id = user_id
        self.token = token
        self.expires = expires
        self.account = account


class CredentialStore:
    def __init__(self, account):
        self.account = account
        self._lock = threading.Lock()
        self._keys = {}

    def add_user(self, access_key, secret_key, name="awssim"):
        uid = "AIDA" + hashlib.sha256(access_key.encode()).hexdigest()[:17].upper()
        self._keys[access_key] = Principal(
            access_key, secret_key,
            f"arn:aws:iam::{self.account}:user/{name}", uid,
            account=self.account,
        )

    def add_session(self, principal):
        with self._lock:
            self._keys[principal.access_key] = principal

    def get(self, access_key):
        with self._lock:
            return self._keys.get(access_key)

    def sessions(self):
        with self._lock:
            return [p for p in self._keys.values() if p.token]


def _parse_auth_header(value, err):
    m = _AUTH_RE.match(value.strip())
    if not m:
        raise err("IncompleteSignature",
                  "Authorization header requires the AWS4-HMAC-SHA256 "
                  "algorithm with Credential, SignedHeaders and Signature.")
    parts = {}
    for item in m.group("params").split(","):
        item = item.strip()
        if not item:
            continue
        k, sep, v = item.partition("=")
        if not sep:
            raise err("IncompleteSignature",
                      f"Authorization header parameter '{item}' is malformed.")
        parts[k.strip()] = v.strip()
    for need in ("Credential", "SignedHeaders", "Signature"):
        if need not in parts:
            raise err("IncompleteSignature",
                      f"Authorization header requires '{need}' parameter. "
                      f"Authorization={value}")
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise err("IncompleteSignature",
                  "Credential must have exactly 5 slash-delimited elements, "
                  f"e.g. keyid/date/region/service/term, got '{parts['Credential']}'")
    signed = [h.strip().lower() for h in parts["SignedHeaders"].split(";") if h.strip()]
    return scope, signed, parts["Signature"]


def parse_scope(headers):
    """Credential scope (key, date, region, service) from the header, or None."""
    value = headers.get("Authorization")
    if not value:
        return None
    try:
        scope, _, _ = _parse_auth_header(value, AwsError)
    except AwsError:
        return None
    return scope[:4]


def verify(store, service, method, path, query, headers, body, now=None):
    """Check a request's SigV4 signature; return its Principal or raise.

    service: 'ec2' or 'sts' (the service the action belongs to).
    headers: an email.message.Message-like object (case-insensitive).
    """
    sts = service != "ec2"   # STS and JSON services share these codes

    def err(code, message, status=None):
        if status is None:
            status = 403 if sts else (401 if code == "AuthFailure" else 400)
        return AwsError(code, message, status)

    now = now or datetime.datetime.now(datetime.timezone.utc)
    value = headers.get("Authorization")
    if not value:
        if "X-Amz-Signature=" in query or "X-Amz-Credential=" in query:
            raise err("AuthFailure" if not sts else "IncompleteSignature",
                      "Query-string (presigned) authentication is not "
                      "supported by this endpoint; sign the Authorization header.",
                      400 if sts else 401)
        raise err("MissingAuthenticationToken",
                  "Request is missing Authentication Token",
                  403 if sts else 401)
    scope, signed, signature = _parse_auth_header(value, lambda c, m: err(c, m, 400))
    access_key, sdate, region, scope_service = scope[0], scope[1], scope[2], scope[3]

    if "host" not in signed:
        raise err("IncompleteSignature" if sts else "AuthFailure",
                  "'Host' must be a 'SignedHeader' in the AWS Authorization.",
                  400 if sts else 401)
    amz_date = headers.get("X-Amz-Date")
    if not amz_date:
        raise err("IncompleteSignature" if sts else "AuthFailure",
                  "Authorization header requires existence of either a "
                  "'X-Amz-Date' or a 'Date' header.", 400 if sts else 401)
    try:
        ts = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise err("IncompleteSignature" if sts else "AuthFailure",
                  f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.",
                  400 if sts else 401) from None
    if "x-amz-date" not in signed:
        raise err("IncompleteSignature" if sts else "AuthFailure",
                  "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
                  400 if sts else 401)
    if abs(now - ts) > MAX_SKEW:
        if sts:
            raise err("SignatureDoesNotMatch",
                      f"Signature expired: {amz_date} is now earlier than "
                      f"{(now - MAX_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
                      f"({now.strftime('%Y%m%dT%H%M%SZ')} - 15 min.)", 403)
        raise err("RequestExpired",
                  f"Request has expired. Timestamp date is {amz_date}", 400)
    if sdate != amz_date[:8]:
        raise err("SignatureDoesNotMatch" if sts else "AuthFailure",
                  f"Date in Credential scope does not match YYYYMMDD from "
                  f"ISO-8601 version of date from HTTP: '{sdate}' != "
                  f"'{amz_date[:8]}', from '{amz_date}'.")
    if scope_service != service:
        raise err("SignatureDoesNotMatch" if sts else "AuthFailure",
                  f"Credential should be scoped to correct service: '{service}'.")
    if region not in REGIONS:
        raise err("SignatureDoesNotMatch" if sts else "AuthFailure",
                  f"Credential should be scoped to a valid region, not '{region}'.")

    principal = store.get(access_key)
    if principal is None:
        if sts:
            raise err("InvalidClientTokenId",
                      "The security token included in the request is invalid.")
        raise err("AuthFailure",
                  "AWS was not able to validate the provided access credentials")

    token = headers.get("X-Amz-Security-Token")
    if principal.token is not None:
        if token != principal.token:
            if sts:
                raise err("InvalidClientTokenId",
                          "The security token included in the request is invalid.")
            raise err("AuthFailure",
                      "AWS was not able to validate the provided access credentials")
        if principal.expires is not None and now >= principal.expires:
            if sts:
                raise err("ExpiredToken",
                          "The security token included in the request is expired")
            raise err("RequestExpired", "Request has expired.", 400)
    elif token:
        if sts:
            raise err("InvalidClientTokenId",
                      "The security token included in the request is invalid.")
        raise err("AuthFailure",
                  "AWS was not able to validate the provided access credentials")

    for name in signed:
        if headers.get(name) is None:
            raise err("SignatureDoesNotMatch" if sts else "AuthFailure",
                      f"Signed header '{name}' is missing from the request.")

    claimed_hash = headers.get("X-Amz-Content-SHA256")
    if claimed_hash is not None and claimed_hash != hashlib.sha256(body).hexdigest():
        raise err("SignatureDoesNotMatch" if sts else "AuthFailure",
                  "The provided 'x-amz-content-sha256' header does not match "
                  "what was computed.")

    url = "http://" + (headers.get("Host") or "localhost") + path
    if query:
        url += "?" + query
    req_headers = HTTPHeaders()
    for name in signed:
        for v in headers.get_all(name) or []:
            req_headers[name] = v
    req = AWSRequest(method=method, url=url, headers=req_headers, data=body)
    req.context["timestamp"] = amz_date
    creds = Credentials(access_key, principal.secret_key, principal.token)
    signer = _Verifier(creds, service, region, signed)
    canonical = signer.canonical_request(req)
    string_to_sign = signer.string_to_sign(req, canonical)
    expected = signer.signature(string_to_sign, req)
    if not hmac.compare_digest(expected, signature):
        if sts:
            raise err("SignatureDoesNotMatch",
                      "The request signature we calculated does not match the "
                      "signature you provided. Check your AWS Secret Access Key "
                      "and signing method. Consult the service documentation "
                      "for details.")
        raise err("AuthFailure",
                  "AWS was not able to validate the provided access credentials")
    return principal, region
