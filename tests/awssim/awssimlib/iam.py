"""IAM for the AWS simulator: roles, their policies, instance profiles.

IAM is global: one set of entities for the account whatever region a
request is signed for. The rules clients trip over are kept: names unique
(EntityAlreadyExists 409), NoSuchEntity 404, a role cannot be deleted while
it has inline or attached policies or sits in an instance profile and a
profile not while it holds a role (DeleteConflict 409), a profile holds at
most one role (LimitExceeded 409), policy documents must be JSON policies
(MalformedPolicyDocument) and are returned URL-encoded as IAM does (botocore
decodes them). EC2's AssociateIamInstanceProfile looks profiles up here
(`profile_by_arn_or_name`).
"""

import json
import urllib.parse

from .protocol import AwsError
from .svcbase import ServiceState, page

# AWS managed policies a stack may attach; any other aws-owned ARN is unknown.
AWS_MANAGED = {
    "AmazonSSMManagedInstanceCore", "AmazonEC2ContainerRegistryReadOnly",
    "CloudWatchAgentServerPolicy", "AmazonS3ReadOnlyAccess",
}


def _err(code, msg):
    status = {"NoSuchEntity": 404, "EntityAlreadyExists": 409,
              "DeleteConflict": 409, "LimitExceeded": 409}.get(code, 400)
    return AwsError(code, msg, status)


def check_policy(doc, assume=False):
    try:
        data = json.loads(doc)
    except ValueError:
        raise _err("MalformedPolicyDocument",
                   "This policy contains invalid Json") from None
    if not isinstance(data, dict) or "Statement" not in data:
        raise _err("MalformedPolicyDocument",
                   "Syntax errors in policy.")
    stmts = data["Statement"]
    stmts = stmts if isinstance(stmts, list) else [stmts]
    for st in stmts:
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny"):
            raise _err("MalformedPolicyDocument", "Syntax errors in policy.")
        if assume and "Principal" not in st:
            raise _err("MalformedPolicyDocument",
                       "AssumeRolepolicy contained an invalid principal element.")
        if not assume and "Principal" in st:
            raise _err("MalformedPolicyDocument",
                       "Policy document should not specify a principal.")
        if "Action" not in st and "NotAction" not in st:
            raise _err("MalformedPolicyDocument",
                       "Policy statement must contain actions.")


def _encoded(doc):
    return urllib.parse.quote(doc, safe="")


def _tags(tags, have=None):
    out = dict(have or {})
    for t in tags or []:
        if t["Key"].lower().startswith("aws:"):
            raise _err("InvalidInput", "User-defined tag keys can't start with 'aws:'.")
        out[t["Key"]] = t["Value"]
    if len(out) > 50:
        raise _err("LimitExceeded", "The number of tags has reached the maximum "
                                    "limit of 50.")
    return out


class Iam(ServiceState):
    def reset(self):
        self.roles = {}
        self.profiles = {}

    def dump(self):
        return {"roles": [dict(self.view_role(r), InlinePolicies=sorted(r["_policies"]),
                               AttachedPolicies=sorted(r["_attached"]))
                          for r in self.roles.values()],
                "instance_profiles": [self.view_profile(p)
                                      for p in self.profiles.values()]}

    # ------------------------------------------------------------ lookups

    def role(self, name, reading=True):
        r = self.roles.get(name.lower())
        if r is None or self.fresh(r, reading):
            raise _err("NoSuchEntity", f"The role with name {name} cannot be found.")
        return r

    def profile(self, name, reading=True):
        p = self.profiles.get(name.lower())
        if p is None or self.fresh(p, reading):
            raise _err("NoSuchEntity",
                       f"Instance Profile {name} cannot be found.")
        return p

    def profile_by_arn_or_name(self, arn=None, name=None):
        """For EC2: the profile an IamInstanceProfileSpecification names."""
        if arn:
            for p in self.profiles.values():
                if p["Arn"] == arn and not self.fresh(p, False):
                    return p
            return None
        p = self.profiles.get((name or "").lower())
        return None if p is None or self.fresh(p, False) else p

    # ------------------------------------------------------------ views

    def view_role(self, r):
        return {"Path": r["Path"], "RoleName": r["RoleName"], "RoleId": r["RoleId"],
                "Arn": r["Arn"], "CreateDate": r["_created"],
                "AssumeRolePolicyDocument": _encoded(r["_trust"]),
                "Description": r.get("Description"),
                "MaxSessionDuration": r["MaxSessionDuration"],
                "Tags": [{"Key": k, "Value": v} for k, v in r["_tags"].items()] or None}

    def view_profile(self, p):
        roles = [self.view_role(self.roles[n.lower()]) for n in p["_roles"]]
        for r in roles:
            r.pop("Tags", None)
        return {"Path": p["Path"], "InstanceProfileName": p["InstanceProfileName"],
                "InstanceProfileId": p["InstanceProfileId"], "Arn": p["Arn"],
                "CreateDate": p["_created"], "Roles": roles,
                "Tags": [{"Key": k, "Value": v} for k, v in p["_tags"].items()] or None}

    # ------------------------------------------------------------ roles

    def op_CreateRole(self, ctx, p):
        name = p["RoleName"]
        if name.lower() in self.roles:
            raise _err("EntityAlreadyExists", f"Role with name {name} already exists.")
        check_policy(p["AssumeRolePolicyDocument"], assume=True)
        path = p.get("Path", "/")
        r = self.new_resource({
            "RoleName": name, "Path": path, "RoleId": self.rand_id("AROA", 17),
            "Arn": f"arn:aws:iam::{self.account}:role{path}{name}",
            "Description": p.get("Description"),
            "MaxSessionDuration": p.get("MaxSessionDuration", 3600),
            "_trust": p["AssumeRolePolicyDocument"], "_tags": _tags(p.get("Tags")),
            "_policies": {}, "_attached": {}})
        self.roles[name.lower()] = r
        return {"Role": self.view_role(r)}

    def op_GetRole(self, ctx, p):
        return {"Role": self.view_role(self.role(p["RoleName"]))}

    def op_ListRoles(self, ctx, p):
        prefix = p.get("PathPrefix", "/")
        items = [r for r in sorted(self.roles.values(), key=lambda r: r["RoleName"])
                 if r["Path"].startswith(prefix) and not self.fresh(r, True)]
        got, marker = page(items, p.get("Marker"), p.get("MaxItems"))
        out = [self.view_role(r) for r in got]
        for r in out:      # ListRoles leaves the tags out, as IAM does
            r.pop("Tags", None)
        return {"Roles": out, "IsTruncated": marker is not None, "Marker": marker}

    def op_UpdateAssumeRolePolicy(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        check_policy(p["PolicyDocument"], assume=True)
        r["_trust"] = p["PolicyDocument"]
        return {}

    def op_DeleteRole(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        if r["_policies"] or r["_attached"]:
            raise _err("DeleteConflict", "Cannot delete entity, must delete "
                                         "policies first." if r["_policies"] else
                       "Cannot delete entity, must detach all policies first.")
        if any(r["RoleName"] in ip["_roles"] for ip in self.profiles.values()):
            raise _err("DeleteConflict", "Cannot delete entity, must remove roles "
                                         "from instance profile first.")
        del self.roles[r["RoleName"].lower()]
        return {}

    def op_TagRole(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        r["_tags"] = _tags(p["Tags"], r["_tags"])
        return {}

    def op_UntagRole(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        for k in p["TagKeys"]:
            r["_tags"].pop(k, None)
        return {}

    def op_ListRoleTags(self, ctx, p):
        r = self.role(p["RoleName"])
        got, marker = page(list(r["_tags"].items()), p.get("Marker"), p.get("MaxItems"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in got],
                "IsTruncated": marker is not None, "Marker": marker}

    # ------------------------------------------------------------ policies

    def op_PutRolePolicy(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        check_policy(p["PolicyDocument"])
        size = sum(len(d) for n, d in r["_policies"].items() if n != p["PolicyName"])
        if size + len(p["PolicyDocument"]) > 10240:
            raise _err("LimitExceeded", "Maximum policy size of 10240 bytes exceeded "
                                        f"for role {r['RoleName']}")
        r["_policies"][p["PolicyName"]] = p["PolicyDocument"]
        return {}

    def op_GetRolePolicy(self, ctx, p):
        r = self.role(p["RoleName"])
        doc = r["_policies"].get(p["PolicyName"])
        if doc is None:
            raise _err("NoSuchEntity", f"The role policy with name {p['PolicyName']} "
                                       f"cannot be found.")
        return {"RoleName": r["RoleName"], "PolicyName": p["PolicyName"],
                "PolicyDocument": _encoded(doc)}

    def op_DeleteRolePolicy(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        if p["PolicyName"] not in r["_policies"]:
            raise _err("NoSuchEntity", f"The role policy with name {p['PolicyName']} "
                                       f"cannot be found.")
        del r["_policies"][p["PolicyName"]]
        return {}

    def op_ListRolePolicies(self, ctx, p):
        r = self.role(p["RoleName"])
        got, marker = page(sorted(r["_policies"]), p.get("Marker"), p.get("MaxItems"))
        return {"PolicyNames": got, "IsTruncated": marker is not None,
                "Marker": marker}

    def _policy_name(self, arn):
        pre = "arn:aws:iam::aws:policy/"
        if arn.startswith(pre) and arn[len(pre):].rsplit("/", 1)[-1] in AWS_MANAGED:
            return arn.rsplit("/", 1)[-1]
        if not arn.startswith("arn:aws:iam::"):
            raise _err("InvalidInput", f"ARN {arn} is not valid.")
        raise _err("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")

    def op_AttachRolePolicy(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        name = self._policy_name(p["PolicyArn"])
        if p["PolicyArn"] not in r["_attached"] and len(r["_attached"]) >= 10:
            raise _err("LimitExceeded", "Cannot exceed quota for "
                                        "PoliciesPerRole: 10")
        r["_attached"][p["PolicyArn"]] = name
        return {}

    def op_DetachRolePolicy(self, ctx, p):
        r = self.role(p["RoleName"], reading=False)
        if r["_attached"].pop(p["PolicyArn"], None) is None:
            raise _err("NoSuchEntity", f"Policy {p['PolicyArn']} was not found.")
        return {}

    def op_ListAttachedRolePolicies(self, ctx, p):
        r = self.role(p["RoleName"])
        items = sorted(r["_attached"].items(), key=lambda kv: kv[1])
        got, marker = page(items, p.get("Marker"), p.get("MaxItems"))
        return {"AttachedPolicies": [{"PolicyName": n, "PolicyArn": a} for a, n in got],
                "IsTruncated": marker is not None, "Marker": marker}

    # ------------------------------------------------------------ profiles

    def op_CreateInstanceProfile(self, ctx, p):
        name = p["InstanceProfileName"]
        if name.lower() in self.profiles:
            raise _err("EntityAlreadyExists",
                       f"Instance Profile {name} already exists.")
        path = p.get("Path", "/")
        ip = self.new_resource({
            "InstanceProfileName": name, "Path": path,
            "InstanceProfileId": self.rand_id("AIPA", 17),
            "Arn": f"arn:aws:iam::{self.account}:instance-profile{path}{name}",
            "_roles": [], "_tags": _tags(p.get("Tags"))})
        self.profiles[name.lower()] = ip
        return {"InstanceProfile": self.view_profile(ip)}

    def op_GetInstanceProfile(self, ctx, p):
        return {"InstanceProfile": self.view_profile(self.profile(p["InstanceProfileName"]))}

    def op_ListInstanceProfiles(self, ctx, p):
        prefix = p.get("PathPrefix", "/")
        items = [x for x in sorted(self.profiles.values(),
                                   key=lambda x: x["InstanceProfileName"])
                 if x["Path"].startswith(prefix) and not self.fresh(x, True)]
        got, marker = page(items, p.get("Marker"), p.get("MaxItems"))
        return {"InstanceProfiles": [self.view_profile(x) for x in got],
                "IsTruncated": marker is not None, "Marker": marker}

    def op_ListInstanceProfilesForRole(self, ctx, p):
        r = self.role(p["RoleName"])
        items = [x for x in sorted(self.profiles.values(),
                                   key=lambda x: x["InstanceProfileName"])
                 if r["RoleName"] in x["_roles"]]
        got, marker = page(items, p.get("Marker"), p.get("MaxItems"))
        return {"InstanceProfiles": [self.view_profile(x) for x in got],
                "IsTruncated": marker is not None, "Marker": marker}

    def op_DeleteInstanceProfile(self, ctx, p):
        ip = self.profile(p["InstanceProfileName"], reading=False)
        if ip["_roles"]:
            raise _err("DeleteConflict", "Cannot delete entity, must remove roles "
                                         "from instance profile first.")
        del self.profiles[ip["InstanceProfileName"].lower()]
        return {}

    def op_AddRoleToInstanceProfile(self, ctx, p):
        ip = self.profile(p["InstanceProfileName"], reading=False)
        r = self.role(p["RoleName"], reading=False)
        if ip["_roles"]:
            raise _err("LimitExceeded", "Cannot exceed quota for "
                                        "InstanceSessionsPerInstanceProfile: 1")
        ip["_roles"].append(r["RoleName"])
        return {}

    def op_RemoveRoleFromInstanceProfile(self, ctx, p):
        ip = self.profile(p["InstanceProfileName"], reading=False)
        r = self.role(p["RoleName"], reading=False)
        if r["RoleName"] not in ip["_roles"]:
            raise _err("NoSuchEntity", f"The role with name {r['RoleName']} cannot be "
                                       f"found in instance profile "
                                       f"{ip['InstanceProfileName']}.")
        ip["_roles"].remove(r["RoleName"])
        return {}

    def op_TagInstanceProfile(self, ctx, p):
        ip = self.profile(p["InstanceProfileName"], reading=False)
        ip["_tags"] = _tags(p["Tags"], ip["_tags"])
        return {}

    def op_UntagInstanceProfile(self, ctx, p):
        ip = self.profile(p["InstanceProfileName"], reading=False)
        for k in p["TagKeys"]:
            ip["_tags"].pop(k, None)
        return {}

    def op_ListInstanceProfileTags(self, ctx, p):
        ip = self.profile(p["InstanceProfileName"])
        got, marker = page(list(ip["_tags"].items()), p.get("Marker"), p.get("MaxItems"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in got],
                "IsTruncated": marker is not None, "Marker": marker}
