"""IAM through boto3: the instance role's life cycle and every refusal."""

import json
import time

from simclient import SimTest

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}]})


class IamTest(SimTest):
    def setUp(self):
        super().setUp()
        self.iam = self.sim.client("iam")

    def test_role_profile_life_cycle(self):
        iam = self.iam
        role = iam.create_role(RoleName="web", Path="/craftctl/",
                               AssumeRolePolicyDocument=TRUST, Description="d",
                               Tags=[{"Key": "craftctl:stack", "Value": "s"}])["Role"]
        self.assertEqual(role["Arn"], "arn:aws:iam::123456789012:role/craftctl/web")
        self.assertTrue(role["RoleId"].startswith("AROA"))
        # IAM sends policies URL-encoded; botocore decodes them to a dict
        got = iam.get_role(RoleName="web")["Role"]
        self.assertEqual(got["AssumeRolePolicyDocument"], json.loads(TRUST))
        self.assertEqual(got["Tags"], [{"Key": "craftctl:stack", "Value": "s"}])
        self.assertEqual(got["MaxSessionDuration"], 3600)
        iam.put_role_policy(RoleName="web", PolicyName="ecr", PolicyDocument=POLICY)
        iam.put_role_policy(RoleName="web", PolicyName="ecr", PolicyDocument=POLICY)
        self.assertEqual(iam.list_role_policies(RoleName="web")["PolicyNames"], ["ecr"])
        self.assertEqual(iam.get_role_policy(RoleName="web", PolicyName="ecr")
                         ["PolicyDocument"], json.loads(POLICY))
        iam.attach_role_policy(RoleName="web", PolicyArn="arn:aws:iam::aws:policy/"
                                                         "AmazonSSMManagedInstanceCore")
        self.assertEqual(len(iam.list_attached_role_policies(RoleName="web")
                             ["AttachedPolicies"]), 1)
        prof = iam.create_instance_profile(InstanceProfileName="web",
                                           Path="/craftctl/")["InstanceProfile"]
        self.assertEqual(prof["Roles"], [])
        self.assertTrue(prof["Arn"].endswith(":instance-profile/craftctl/web"))
        iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
        got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
        self.assertEqual([r["RoleName"] for r in got["Roles"]], ["web"])
        self.assertEqual([p["InstanceProfileName"] for p in
                          iam.list_instance_profiles_for_role(RoleName="web")
                          ["InstanceProfiles"]], ["web"])
        iam.tag_role(RoleName="web", Tags=[{"Key": "k", "Value": "v"}])
        iam.untag_role(RoleName="web", TagKeys=["k"])
        self.assertEqual(len(iam.list_role_tags(RoleName="web")["Tags"]), 1)

        # teardown in the only order IAM accepts
        for step in ("inline", "attached", "profile"):
            e = self.refused("DeleteConflict", iam.delete_role, RoleName="web", status=409)
            self.assertIn({"profile": "instance profile", "inline": "delete policies",
                           "attached": "detach"}[step], e["Message"])
            if step == "profile":
                self.refused("DeleteConflict", iam.delete_instance_profile,
                             InstanceProfileName="web", status=409)
                iam.remove_role_from_instance_profile(InstanceProfileName="web",
                                                      RoleName="web")
            elif step == "inline":
                iam.delete_role_policy(RoleName="web", PolicyName="ecr")
            else:
                iam.detach_role_policy(RoleName="web", PolicyArn="arn:aws:iam::aws:"
                                       "policy/AmazonSSMManagedInstanceCore")
        iam.delete_role(RoleName="web")
        iam.delete_instance_profile(InstanceProfileName="web")
        self.refused("NoSuchEntity", iam.get_role, RoleName="web", status=404)
        self.refused("NoSuchEntity", iam.get_instance_profile,
                     InstanceProfileName="web", status=404)

    def test_refusals(self):
        iam = self.iam
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
        self.refused("EntityAlreadyExists", iam.create_role, RoleName="r",
                     AssumeRolePolicyDocument=TRUST, status=409)
        self.refused("EntityAlreadyExists", iam.create_role, RoleName="R",
                     AssumeRolePolicyDocument=TRUST)    # names ignore case
        self.refused("MalformedPolicyDocument", iam.create_role, RoleName="x",
                     AssumeRolePolicyDocument="{not json")
        self.refused("MalformedPolicyDocument", iam.create_role, RoleName="x",
                     AssumeRolePolicyDocument=POLICY)   # no Principal
        self.refused("MalformedPolicyDocument", iam.put_role_policy, RoleName="r",
                     PolicyName="p", PolicyDocument=TRUST)   # a Principal
        self.refused("ValidationError", iam.create_role, RoleName="bad name!",
                     AssumeRolePolicyDocument=TRUST, status=400)
        raw = self.sim.client("iam", validate=False)
        self.refused("ValidationError", raw.create_role, RoleName="x",
                     AssumeRolePolicyDocument=TRUST, MaxSessionDuration=60)
        self.refused("ValidationError", raw.create_role, RoleName="x")
        r = self.sim.call("GetRole", {"RoleName": "r"}, service="iam",
                          extra={"Colour": "blue"})
        self.assertEqual((r.status, r.code), (400, "UnknownParameter"))
        self.refused("NoSuchEntity", iam.put_role_policy, RoleName="nobody",
                     PolicyName="p", PolicyDocument=POLICY)
        self.refused("NoSuchEntity", iam.get_role_policy, RoleName="r", PolicyName="p")
        self.refused("NoSuchEntity", iam.delete_role_policy, RoleName="r", PolicyName="p")
        self.refused("NoSuchEntity", iam.attach_role_policy, RoleName="r",
                     PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
        iam.create_instance_profile(InstanceProfileName="p")
        self.refused("EntityAlreadyExists", iam.create_instance_profile,
                     InstanceProfileName="p")
        self.refused("NoSuchEntity", iam.add_role_to_instance_profile,
                     InstanceProfileName="p", RoleName="nobody")
        iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="r")
        iam.create_role(RoleName="r2", AssumeRolePolicyDocument=TRUST)
        self.refused("LimitExceeded", iam.add_role_to_instance_profile,
                     InstanceProfileName="p", RoleName="r2", status=409)
        self.refused("NoSuchEntity", iam.remove_role_from_instance_profile,
                     InstanceProfileName="p", RoleName="r2")
        iam.tag_role(RoleName="r2", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(30)])
        self.refused("LimitExceeded", iam.tag_role, RoleName="r2", Tags=[
            {"Key": f"j{i}", "Value": "v"} for i in range(30)])

    def test_paging_and_listing(self):
        for i in range(5):
            self.iam.create_role(RoleName=f"role{i}", AssumeRolePolicyDocument=TRUST)
        pages = list(self.iam.get_paginator("list_roles").paginate(
            PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([r["RoleName"] for p in pages for r in p["Roles"]],
                         [f"role{i}" for i in range(5)])


class IamConsistencyTest(SimTest):
    SIM_ARGS = ("--consistency-delay-ms", "1500", "--seed", "3")

    def test_not_found_right_after_create(self):
        iam = self.sim.client("iam")
        iam.create_role(RoleName="slow", AssumeRolePolicyDocument=TRUST)
        t0 = time.monotonic()
        seen_missing = False
        while True:
            try:
                iam.get_role(RoleName="slow")
                break
            except iam.exceptions.NoSuchEntityException:
                seen_missing = True
                self.assertLess(time.monotonic() - t0, 3)
                time.sleep(0.05)
        # a name is taken at once, visible or not
        self.refused("EntityAlreadyExists", iam.create_role, RoleName="slow",
                     AssumeRolePolicyDocument=TRUST)
        # the delay is drawn in [0, 1.5 s]: over a few roles one is late
        for i in range(6):
            iam.create_role(RoleName=f"r{i}", AssumeRolePolicyDocument=TRUST)
            try:
                iam.get_role(RoleName=f"r{i}")
            except iam.exceptions.NoSuchEntityException:
                seen_missing = True
        self.assertTrue(seen_missing)
