"""EC2's IAM instance profile associations, against the simulated IAM."""

import json
import time

from simclient import SimTest

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


class ProfileTest(SimTest):
    def setUp(self):
        super().setUp()
        self.iam = self.sim.client("iam")
        self.ec2 = self.sim.client("ec2")
        self.iam.create_role(RoleName="web", AssumeRolePolicyDocument=TRUST)
        self.prof = self.iam.create_instance_profile(
            InstanceProfileName="web")["InstanceProfile"]
        self.iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
        self.sub = self.subnet(self.vpc())

    def assocs(self, **kw):
        return self.ec2.describe_iam_instance_profile_associations(
            **kw)["IamInstanceProfileAssociations"]

    def wait_assoc(self, iid, state):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got = self.assocs(Filters=[{"Name": "instance-id", "Values": [iid]}])
            if [a["State"] for a in got] == ([state] if state else []):
                return got
            time.sleep(0.1)
        self.fail(f"{iid}: association did not become {state}")

    def test_associate_describe_disassociate(self):
        iid = self.launch(self.sub)
        self.sim.wait_state(iid, "running")
        a = self.ec2.associate_iam_instance_profile(
            IamInstanceProfile={"Name": "web"}, InstanceId=iid)["IamInstanceProfileAssociation"]
        self.assertEqual(a["State"], "associating")
        self.assertEqual(a["IamInstanceProfile"],
                         {"Arn": self.prof["Arn"], "Id": self.prof["InstanceProfileId"]})
        self.wait_assoc(iid, "associated")
        inst = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual(inst["IamInstanceProfile"]["Arn"], self.prof["Arn"])
        self.refused("IncorrectState", self.ec2.associate_iam_instance_profile,
                     IamInstanceProfile={"Arn": self.prof["Arn"]}, InstanceId=iid)
        # a profile IAM does not have, by name and by ARN
        e = self.refused("InvalidParameterValue", self.ec2.associate_iam_instance_profile,
                         IamInstanceProfile={"Name": "nobody"}, InstanceId=iid)
        self.assertIn("Invalid IAM Instance Profile name", e["Message"])
        self.refused("InvalidParameterValue", self.ec2.associate_iam_instance_profile,
                     IamInstanceProfile={"Arn": self.prof["Arn"] + "x"}, InstanceId=iid)
        self.iam.create_instance_profile(InstanceProfileName="other")
        r = self.ec2.replace_iam_instance_profile_association(
            IamInstanceProfile={"Name": "other"}, AssociationId=a["AssociationId"])
        self.assertTrue(r["IamInstanceProfileAssociation"]["IamInstanceProfile"]["Arn"]
                        .endswith("/other"))
        d = self.ec2.disassociate_iam_instance_profile(AssociationId=a["AssociationId"])
        self.assertEqual(d["IamInstanceProfileAssociation"]["State"], "disassociating")
        self.wait_assoc(iid, None)
        self.refused("InvalidAssociationID.NotFound",
                     self.ec2.disassociate_iam_instance_profile,
                     AssociationId=a["AssociationId"])
        inst = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertNotIn("IamInstanceProfile", inst)

    def test_run_instances_with_profile(self):
        self.refused("InvalidParameterValue", self.launch, self.sub,
                     IamInstanceProfile={"Name": "nobody"})
        self.assertEqual(self.ok("DescribeInstances")["Reservations"], [])
        iid = self.launch(self.sub, IamInstanceProfile={"Arn": self.prof["Arn"]})
        self.wait_assoc(iid, "associated")
        # terminating the instance ends its association
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")
        self.wait_assoc(iid, None)

    def launch(self, subnet, **kw):
        imgs = self.ec2.describe_images(Owners=["099720109477"], Filters=[
            {"Name": "name", "Values": ["ubuntu/images/*ubuntu-noble-*"]},
            {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
        ami = sorted(imgs, key=lambda i: i["CreationDate"])[-1]["ImageId"]
        return self.ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1,
                                      MaxCount=1, SubnetId=subnet,
                                      **kw)["Instances"][0]["InstanceId"]
