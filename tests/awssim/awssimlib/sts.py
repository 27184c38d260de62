"""STS for the AWS simulator: caller identity and role sessions.

AssumeRole and AssumeRoleWithWebIdentity issue real temporary credentials
(ASIA... key, secret, session token, expiration) that the signature check
then accepts, and only with their session token, until they expire.
There is no IAM: any role ARN in the simulator's own account may be assumed;
a role in another account is AccessDenied. A web identity token must be a
well-formed, unexpired JWT with iss, sub and aud (its signature cannot be
checked here, there is no identity provider to fetch keys from).
"""

import base64
import binascii
import datetime
import json
import re
import secrets
import string

from .auth import Principal
from .protocol import AwsError

ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")


def _rand(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


class Sts:
    def __init__(self, store, account):
        self.store = store
        self.account = account

    def op_GetCallerIdentity(self, ctx, p):
        pr = ctx.principal
        return {"UserId": pr.user_id, "Account": self.account, "Arn": pr.arn}

    def _session(self, role_arn, session_name, duration):
        m = ROLE_ARN.fullmatch(role_arn)
        if not m:
            raise AwsError("ValidationError",
                           f"{role_arn} is invalid", 400)
        if not SESSION_NAME.fullmatch(session_name):
            raise AwsError("ValidationError",
                           "1 validation error detected: Value "
                           f"'{session_name}' at 'roleSessionName' failed to "
                           "satisfy constraint: Member must satisfy regular "
                           "expression pattern: [\\w+=,.@-]*", 400)
        if duration is None:
            duration = 3600
        if not 900 <= duration <= 43200:
            raise AwsError("ValidationError",
                           "1 validation error detected: Value "
                           f"'{duration}' at 'durationSeconds' failed to satisfy "
                           "constraint: Member must have value between 900 and "
                           "43200", 400)
        if duration > 3600:
            raise AwsError("ValidationError",
                           "The requested DurationSeconds exceeds the "
                           "MaxSessionDuration set for this role.", 400)
        account, _, role = m.group(1), m.group(2), m.group(3)
        return account, role, duration

    def _issue(self, account, role, session_name, duration):
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        exp = now + datetime.timedelta(seconds=duration)
        akid = "ASIA" + _rand(string.ascii_uppercase + string.digits, 16)
        secret = _rand(string.ascii_letters + string.digits + "/+", 40)
        token = base64.b64encode(secrets.token_bytes(96)).decode()
        role_id = "AROA" + _rand(string.ascii_uppercase + string.digits, 17)
        arn = f"arn:aws:sts::{account}:assumed-role/{role}/{session_name}"
        self.store.add_session(Principal(akid, secret, arn,
                                         f"{role_id}:{session_name}",
                                         token=token, expires=exp,
                                         account=account))
        return {
            "Credentials": {"AccessKeyId": akid, "SecretAccessKey": secret,
                            "SessionToken": token, "Expiration": exp},
            "AssumedRoleUser": {"AssumedRoleId": f"{role_id}:{session_name}",
                                "Arn": arn},
        }

    def op_AssumeRole(self, ctx, p):
        account, role, duration = self._session(
            p["RoleArn"], p["RoleSessionName"], p.get("DurationSeconds"))
        if account != self.account:
            raise AwsError("AccessDenied",
                           f"User: {ctx.principal.arn} is not authorized to "
                           f"perform: sts:AssumeRole on resource: {p['RoleArn']}",
                           403)
        out = self._issue(account, role, p["RoleSessionName"], duration)
        out["PackedPolicySize"] = 6 if p.get("Policy") else None
        return out

    def op_AssumeRoleWithWebIdentity(self, ctx, p):
        account, role, duration = self._session(
            p["RoleArn"], p["RoleSessionName"], p.get("DurationSeconds"))
        claims = parse_jwt(p["WebIdentityToken"])
        if account != self.account:
            raise AwsError("AccessDenied",
                           "Not authorized to perform sts:AssumeRoleWithWebIdentity",
                           403)
        out = self._issue(account, role, p["RoleSessionName"], duration)
        aud = claims["aud"]
        if isinstance(aud, list):
            aud = aud[0] if aud else ""
        iss = claims["iss"]
        out.update({"SubjectFromWebIdentityToken": str(claims["sub"]),
                    "Audience": str(aud),
                    "Provider": re.sub(r"^https://", "", str(iss))})
        return out


def _b64url(part):
    pad = "=" * (-len(part) % 4)
    return base64.urlsafe_b64decode(part + pad)


def parse_jwt(token):
    bad = AwsError("InvalidIdentityToken",
                   "The web identity token that was passed could not be "
                   "validated. It is not a well-formed JWT.", 400)
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]) or \
            not all(re.fullmatch(r"[A-Za-z0-9_-]*", x) for x in parts):
        raise bad
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        _b64url(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(header, dict) or "alg" not in header or \
            not isinstance(claims, dict):
        raise bad
    if header["alg"] == "none" or not parts[2]:
        raise AwsError("InvalidIdentityToken",
                       "The web identity token is not signed.", 400)
    for c in ("iss", "sub", "aud"):
        if c not in claims:
            raise AwsError("InvalidIdentityToken",
                           f"The web identity token has no '{c}' claim.", 400)
    exp = claims.get("exp")
    if exp is not None:
        if not isinstance(exp, (int, float)):
            raise bad
        if exp < datetime.datetime.now(datetime.timezone.utc).timestamp():
            raise AwsError("ExpiredTokenException",
                           "Token expired: current date/time is after the "
                           "token's expiration", 400)
    return claims
