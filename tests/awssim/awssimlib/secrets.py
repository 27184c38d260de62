"""Secrets Manager for the AWS simulator: secrets, their versions, deletion.

Regional, JSON 1.1. A secret is found by name or ARN (`…:secret:<name>-XXXXXX`).
ClientRequestToken is the version id and makes CreateSecret and
PutSecretValue idempotent: the same token and value again is the same
version, the same token with another value ResourceExistsException. A new
value becomes AWSCURRENT and the old one AWSPREVIOUS. DeleteSecret schedules
the deletion (RecoveryWindowInDays 7–30, default 30) and the secret answers
InvalidRequestException until RestoreSecret, or is gone at once with
ForceDeleteWithoutRecovery; its name cannot be reused while scheduled.
"""

import secrets as rnd
import string

from .protocol import AwsError
from .svcbase import ServiceState, now


def _err(code, msg):
    return AwsError(code, msg, 400)


def _not_found():
    return _err("ResourceNotFoundException", "Secrets Manager can't find the specified "
                                             "secret.")


class SecretsManager(ServiceState):
    def reset(self):
        self.secrets = {}        # arn -> secret

    def dump(self):
        return {"secrets": [{"ARN": s["_arn"], "Name": s["_name"], "Region": s["_region"],
                             "Versions": sorted(s["_versions"]),
                             "DeletedDate": s["_deleted"]} for s in self.secrets.values()]}

    def find(self, ctx, ident, reading=True, deleted_ok=False):
        for s in self.secrets.values():
            if s["_region"] == ctx.region and ident in (s["_arn"], s["_name"]):
                if self.fresh(s, reading):
                    raise _not_found()
                if s["_deleted"] is not None and not deleted_ok:
                    raise _err("InvalidRequestException",
                               "You can't perform this operation on the secret because "
                               "it was marked for deletion.")
                return s
        raise _not_found()

    @staticmethod
    def _value(p):
        if "SecretString" in p and "SecretBinary" in p:
            raise _err("InvalidParameterException",
                       "You can't specify both a binary secret value and a string "
                       "secret value in the same secret.")
        return {k: p[k] for k in ("SecretString", "SecretBinary") if k in p}

    def _put(self, s, token, value, stages=None):
        """Add a version (or find the same one again); AWSCURRENT moves to it."""
        token = token or str(rnd.SystemRandom().getrandbits(128))
        old = s["_versions"].get(token)
        if old is not None:
            if old["value"] != value:
                raise _err("ResourceExistsException",
                           f"A resource with the ID you requested already exists: "
                           f"version {token} has another value.")
            return token
        stages = list(stages or ["AWSCURRENT"])
        if "AWSCURRENT" in stages:
            for v in s["_versions"].values():
                v["stages"].discard("AWSPREVIOUS")
                if "AWSCURRENT" in v["stages"]:
                    v["stages"].discard("AWSCURRENT")
                    v["stages"].add("AWSPREVIOUS")
        s["_versions"][token] = {"value": value, "stages": set(stages), "created": now()}
        s["_changed"] = now()
        return token

    def op_CreateSecret(self, ctx, p):
        value = self._value(p)
        for s in self.secrets.values():
            if s["_region"] == ctx.region and s["_name"] == p["Name"]:
                if s["_deleted"] is not None:
                    raise _err("InvalidRequestException",
                               "You can't create this secret because a secret with this "
                               "name is already scheduled for deletion.")
                tok = p.get("ClientRequestToken")
                if tok in s["_versions"] and s["_versions"][tok]["value"] == value:
                    return {"ARN": s["_arn"], "Name": s["_name"], "VersionId": tok}
                raise _err("ResourceExistsException",
                           f"The operation failed because the secret {p['Name']} "
                           f"already exists.")
        suffix = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(6))
        arn = f"arn:aws:secretsmanager:{ctx.region}:{self.account}:secret:{p['Name']}-{suffix}"
        s = self.new_resource({
            "_arn": arn, "_name": p["Name"], "_region": ctx.region,
            "_description": p.get("Description"), "_kms": p.get("KmsKeyId"),
            "_tags": list(p.get("Tags", [])), "_versions": {}, "_deleted": None,
            "_changed": now()})
        self.secrets[arn] = s
        out = {"ARN": arn, "Name": p["Name"]}
        if value:
            out["VersionId"] = self._put(s, p.get("ClientRequestToken"), value)
        return out

    def op_PutSecretValue(self, ctx, p):
        s = self.find(ctx, p["SecretId"], reading=False)
        value = self._value(p)
        if not value:
            raise _err("InvalidRequestException",
                       "You must provide either SecretString or SecretBinary.")
        vid = self._put(s, p.get("ClientRequestToken"), value, p.get("VersionStages"))
        return {"ARN": s["_arn"], "Name": s["_name"], "VersionId": vid,
                "VersionStages": sorted(s["_versions"][vid]["stages"])}

    def op_GetSecretValue(self, ctx, p):
        s = self.find(ctx, p["SecretId"])
        vid, stage = p.get("VersionId"), p.get("VersionStage")
        if vid is None and stage is None:
            stage = "AWSCURRENT"
        for k, v in s["_versions"].items():
            if (vid is None or k == vid) and (stage is None or stage in v["stages"]):
                return dict(v["value"], ARN=s["_arn"], Name=s["_name"], VersionId=k,
                            VersionStages=sorted(v["stages"]), CreatedDate=v["created"])
        raise _err("ResourceNotFoundException",
                   f"Secrets Manager can't find the specified secret value for "
                   f"{'VersionId: ' + vid if vid else 'staging label: ' + stage}")

    def view(self, s):
        return {"ARN": s["_arn"], "Name": s["_name"], "Description": s["_description"],
                "KmsKeyId": s["_kms"], "RotationEnabled": False,
                "LastChangedDate": s["_changed"], "DeletedDate": s["_deleted"],
                "Tags": s["_tags"] or None, "CreatedDate": s["_created"],
                "VersionIdsToStages": {k: sorted(v["stages"])
                                       for k, v in s["_versions"].items()} or None}

    def op_DescribeSecret(self, ctx, p):
        return self.view(self.find(ctx, p["SecretId"], deleted_ok=True))

    def op_ListSecrets(self, ctx, p):
        items = sorted((s for s in self.secrets.values()
                        if s["_region"] == ctx.region and not self.fresh(s, True)
                        and s["_deleted"] is None), key=lambda s: s["_created"])
        for f in p.get("Filters", []):
            if f.get("Key") != "name":
                raise _err("InvalidParameterException",
                           f"The filter key {f.get('Key')} is not simulated")
            items = [s for s in items if any(s["_name"].startswith(v)
                                             for v in f.get("Values", []))]
        n = p.get("MaxResults", 100)
        start = int(p["NextToken"]) if str(p.get("NextToken", "")).isdigit() else 0
        if p.get("NextToken") and not str(p["NextToken"]).isdigit():
            raise _err("InvalidNextTokenException", "The NextToken value is invalid.")
        got = items[start:start + n]
        out = []
        for s in got:
            v = self.view(s)
            v["SecretVersionsToStages"] = v.pop("VersionIdsToStages")
            out.append(v)
        return {"SecretList": out,
                "NextToken": str(start + n) if start + n < len(items) else None}

    def op_DeleteSecret(self, ctx, p):
        s = self.find(ctx, p["SecretId"], reading=False, deleted_ok=True)
        window = p.get("RecoveryWindowInDays")
        force = p.get("ForceDeleteWithoutRecovery", False)
        if force and window is not None:
            raise _err("InvalidParameterException",
                       "You can't use ForceDeleteWithoutRecovery in conjunction with "
                       "RecoveryWindowInDays.")
        if window is not None and not 7 <= window <= 30:
            raise _err("InvalidParameterException",
                       "The RecoveryWindowInDays value must be between 7 and 30 days "
                       "(inclusive).")
        if force:
            del self.secrets[s["_arn"]]
            return {"ARN": s["_arn"], "Name": s["_name"], "DeletionDate": now()}
        if s["_deleted"] is None:
            s["_deleted"] = now()
        return {"ARN": s["_arn"], "Name": s["_name"],
                "DeletionDate": s["_deleted"] + 86400 * (window or 30)}

    def op_RestoreSecret(self, ctx, p):
        s = self.find(ctx, p["SecretId"], reading=False, deleted_ok=True)
        s["_deleted"] = None
        return {"ARN": s["_arn"], "Name": s["_name"]}

    def op_TagResource(self, ctx, p):
        s = self.find(ctx, p["SecretId"], reading=False)
        tags = {t.get("Key"): t.get("Value") for t in s["_tags"]}
        tags.update({t.get("Key"): t.get("Value") for t in p["Tags"]})
        if None in tags:
            raise _err("InvalidParameterException", "A tag needs a Key.")
        s["_tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return {}
