"""IAM instance profile associations: an instance's role, from the simulated IAM.

The profile (by Arn or Name) must exist in the simulated IAM (iam.py),
else InvalidParameterValue as EC2 words it. An instance has at most one
association (IncorrectState "There is an existing association…"), only while
pending, running, stopping or stopped; it is `associating` for
ASSOCIATE_SECONDS, then `associated`; Disassociate makes it `disassociating`
and then it is gone, as is the association of a terminated instance.
RunInstances' IamInstanceProfile makes one too, and DescribeInstances shows
the profile ({Arn, Id}) while it is associated or associating.
"""

from .core import apply_filters, err, now, paginate

ASSOCIATE_SECONDS = 1.0
LIVE_STATES = ("pending", "running", "stopping", "stopped")


class ProfileOps:
    """EC2 handlers for IAM instance profile associations."""

    def resolve_profile(self, spec):
        """The simulated IAM's profile an IamInstanceProfileSpecification names."""
        iam = getattr(self, "iam", None)
        arn, name = spec.get("Arn"), spec.get("Name")
        if not arn and not name:
            raise err("InvalidParameterValue",
                      "Value () for parameter iamInstanceProfile is invalid. "
                      "An IAM instance profile ARN or name is required")
        if arn and name:
            raise err("InvalidParameterCombination",
                      "The parameter 'iamInstanceProfile.name' may not be used in "
                      "combination with 'iamInstanceProfile.arn'")
        prof = iam.profile_by_arn_or_name(arn, name) if iam is not None else None
        if prof is None:
            if arn:
                raise err("InvalidParameterValue",
                          f"Value ({arn}) for parameter iamInstanceProfile.arn is "
                          f"invalid. Invalid IAM Instance Profile ARN")
            raise err("InvalidParameterValue",
                      f"Value ({name}) for parameter iamInstanceProfile.name is "
                      f"invalid. Invalid IAM Instance Profile name")
        return {"Arn": prof["Arn"], "Id": prof["InstanceProfileId"]}

    def _assocs(self, reg):
        """Live associations (the finished and orphaned ones dropped)."""
        coll = reg.iip_assocs
        t = now()
        for aid, a in list(coll.items()):
            inst = reg.instances.get(a["InstanceId"])
            gone = inst is None or inst["_state"] not in LIVE_STATES
            if gone or (a["_state"] == "disassociating" and t >= a["_until"]):
                del coll[aid]
            elif a["_state"] == "associating" and t >= a["_until"]:
                a["_state"] = "associated"
        return coll

    def associate_profile(self, reg, inst, profile):
        aid = self.new_id("iip-assoc")
        self._assocs(reg)[aid] = {
            "AssociationId": aid, "InstanceId": inst["InstanceId"],
            "IamInstanceProfile": profile, "_state": "associating",
            "_until": now() + ASSOCIATE_SECONDS, "_at": now()}
        return aid

    def instance_profile_of(self, reg, inst):
        for a in self._assocs(reg).values():
            if a["InstanceId"] == inst["InstanceId"] and \
                    a["_state"] in ("associating", "associated"):
                return dict(a["IamInstanceProfile"])
        return None

    @staticmethod
    def view_assoc(a):
        return {"AssociationId": a["AssociationId"], "InstanceId": a["InstanceId"],
                "IamInstanceProfile": dict(a["IamInstanceProfile"]),
                "State": a["_state"], "Timestamp": a["_at"]}

    def _assoc(self, reg, aid):
        if not aid.startswith("iip-assoc-"):
            raise err("InvalidAssociationID.Malformed", f'Invalid id: "{aid}"')
        a = self._assocs(reg).get(aid)
        if a is None or a["_state"] == "disassociating":
            raise err("InvalidAssociationID.NotFound",
                      f"An association with ID {aid} does not exist.")
        return a

    def op_AssociateIamInstanceProfile(self, ctx, p):
        reg = ctx.reg
        inst = self.get(reg, "i", p["InstanceId"])
        profile = self.resolve_profile(p["IamInstanceProfile"])
        if inst["_state"] not in LIVE_STATES:
            raise err("IncorrectInstanceState",
                      f"The instance '{inst['InstanceId']}' is not in a state from "
                      f"which it can be associated with an IAM instance profile.")
        for a in self._assocs(reg).values():
            if a["InstanceId"] == inst["InstanceId"]:
                raise err("IncorrectState",
                          f"There is an existing association for instance "
                          f"{inst['InstanceId']}")
        aid = self.associate_profile(reg, inst, profile)
        return {"IamInstanceProfileAssociation": self.view_assoc(self._assocs(reg)[aid])}

    def op_ReplaceIamInstanceProfileAssociation(self, ctx, p):
        reg = ctx.reg
        a = self._assoc(reg, p["AssociationId"])
        a["IamInstanceProfile"] = self.resolve_profile(p["IamInstanceProfile"])
        a["_state"], a["_until"], a["_at"] = "associating", now() + ASSOCIATE_SECONDS, now()
        return {"IamInstanceProfileAssociation": self.view_assoc(a)}

    def op_DisassociateIamInstanceProfile(self, ctx, p):
        a = self._assoc(ctx.reg, p["AssociationId"])
        a["_state"], a["_until"] = "disassociating", now() + ASSOCIATE_SECONDS
        return {"IamInstanceProfileAssociation": self.view_assoc(a)}

    def op_DescribeIamInstanceProfileAssociations(self, ctx, p):
        reg = ctx.reg
        assocs = self._assocs(reg)
        ids = p.get("AssociationIds")
        if ids:
            items = [self._assoc(reg, aid) for aid in ids]
        else:
            items = sorted(assocs.values(), key=lambda a: a["_at"])
        fmap = {"instance-id": lambda a: [a["InstanceId"]],
                "state": lambda a: [a["_state"]]}
        items = apply_filters(items, p.get("Filters"), fmap, tags=False)
        page, token = paginate(ctx, items, p, "AssociationIds")
        return {"IamInstanceProfileAssociations": [self.view_assoc(a) for a in page],
                "NextToken": token}
