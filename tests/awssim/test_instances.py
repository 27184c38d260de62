"""Images, instances, volumes, Elastic IPs, tags, zones, account attributes."""

import base64
import re
import time

from simclient import SimTest


class ImageTest(SimTest):
    def test_ubuntu_images(self):
        imgs = self.ok("DescribeImages", Owners=["099720109477"])["Images"]
        names = [i["Name"] for i in imgs]
        for rel, path in (("jammy-22.04", "hvm-ssd"), ("noble-24.04", "hvm-ssd-gp3")):
            for arch in ("amd64", "arm64"):
                pat = re.compile(rf"ubuntu/images/{path}/ubuntu-{rel}-{arch}-server-\d{{8}}$")
                self.assertGreaterEqual(len([n for n in names if pat.match(n)]), 3, (rel, arch))
        for i in imgs:
            self.assertEqual(i["RootDeviceName"], "/dev/sda1")
            self.assertEqual(i["OwnerId"], "099720109477")
            self.assertIn(i["Architecture"], ("x86_64", "arm64"))
            self.assertEqual(i["BlockDeviceMappings"][0]["DeviceName"], "/dev/sda1")
        arm = self.ok("DescribeImages", Owners=["099720109477"], Filters=[
            {"Name": "name", "Values": ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"]},
            {"Name": "state", "Values": ["available"]}])["Images"]
        self.assertTrue(arm and all(i["Architecture"] == "arm64" for i in arm))
        self.assertEqual(self.ok("DescribeImages", Owners=["self"])["Images"], [])
        # deprecated (older than two years) only with IncludeDeprecated or by id
        everything = self.ok("DescribeImages", Owners=["099720109477"],
                             IncludeDeprecated=True)["Images"]
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        old = [i for i in everything if i["DeprecationTime"] < now]
        self.assertTrue(old)
        self.assertEqual(len(everything), len(imgs) + len(old))
        self.assertEqual(len(self.ok("DescribeImages", ImageIds=[old[0]["ImageId"]])["Images"]), 1)
        # ids are per region
        east = self.image()
        west = self.sim.ok("DescribeImages", region="us-west-2", Owners=["099720109477"],
                           Filters=[{"Name": "name", "Values": ["*noble*amd64*"]}])["Images"]
        self.assertNotIn(east, [i["ImageId"] for i in west])


class NetworkTest(SimTest):
    """Each test starts with a VPC, an attached internet gateway and a subnet."""

    def setUp(self):
        super().setUp()
        self.vpc_id = self.vpc()
        self.igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=self.igw, VpcId=self.vpc_id)
        self.sub = self.subnet(self.vpc_id)


class InstanceTest(NetworkTest):
    SIM_ARGS = ("--boot-seconds", "1", "--terminate-seconds", "1")

    def test_lifecycle(self):
        t0 = time.monotonic()
        r = self.ok("RunInstances", ImageId=self.image(), InstanceType="t3.small",
                    MinCount=1, MaxCount=1, SubnetId=self.sub, TagSpecifications=[
                        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
                        {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "root"}]}])
        inst = r["Instances"][0]
        iid = inst["InstanceId"]
        self.assertEqual(inst["State"], {"Code": 0, "Name": "pending"})
        self.assertNotIn("PublicIpAddress", inst)
        self.assertTrue(inst["PrivateIpAddress"].startswith("10.20.0."))
        self.assertEqual(inst["PrivateDnsName"],
                         "ip-" + inst["PrivateIpAddress"].replace(".", "-")
                         + ".us-east-2.compute.internal")
        run = self.sim.wait_state(iid, "running")
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.assertEqual(run["State"]["Code"], 16)
        self.assertTrue(run["PublicIpAddress"].startswith("127.0."))
        self.assertEqual(run["Tags"], [{"Key": "Name", "Value": "web"}])
        st = self.ok("DescribeInstanceStatus", InstanceIds=[iid])["InstanceStatuses"]
        self.assertEqual(st[0]["InstanceState"]["Name"], "running")
        t = self.ok("TerminateInstances", InstanceIds=[iid])["TerminatingInstances"][0]
        self.assertEqual((t["PreviousState"]["Name"], t["CurrentState"]["Name"]),
                         ("running", "shutting-down"))
        gone = self.sim.wait_state(iid, "terminated")
        self.assertNotIn("PublicIpAddress", gone)
        self.assertEqual(gone["StateReason"]["Code"], "Client.UserInitiatedShutdown")
        # terminated instances stay visible, and terminate again is fine
        got = self.ok("DescribeInstances", Filters=[
            {"Name": "instance-state-name", "Values": ["terminated"]}])
        self.assertEqual(got["Reservations"][0]["Instances"][0]["InstanceId"], iid)
        t = self.ok("TerminateInstances", InstanceIds=[iid])["TerminatingInstances"][0]
        self.assertEqual(t["CurrentState"]["Name"], "terminated")
        self.assertEqual(self.ok("DescribeInstanceStatus", InstanceIds=[iid])
                         ["InstanceStatuses"], [])

    def test_root_volume_from_block_device_mapping(self):
        iid = self.launch(self.sub, BlockDeviceMappings=[{
            "DeviceName": "/dev/sda1",
            "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Encrypted": True,
                    "Iops": 4000, "Throughput": 250, "DeleteOnTermination": False}}])
        inst = self.sim.wait_state(iid, "running")
        bdm = inst["BlockDeviceMappings"]
        self.assertEqual([b["DeviceName"] for b in bdm], ["/dev/sda1"])
        vid = bdm[0]["Ebs"]["VolumeId"]
        v = self.ok("DescribeVolumes", Filters=[
            {"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
        self.assertEqual(len(v), 1)
        v = v[0]
        self.assertEqual((v["VolumeId"], v["Size"], v["VolumeType"], v["Encrypted"],
                          v["Iops"], v["Throughput"], v["State"]),
                         (vid, 20, "gp3", True, 4000, 250, "in-use"))
        self.assertIn("KmsKeyId", v)
        self.assertFalse(v["Attachments"][0]["DeleteOnTermination"])
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")
        v = self.ok("DescribeVolumes", VolumeIds=[vid])["Volumes"][0]
        self.assertEqual((v["State"], v["Attachments"]), ("available", []))
        # the default: deleted with the instance
        iid = self.launch(self.sub)
        inst = self.sim.wait_state(iid, "running")
        vid = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        v = self.ok("DescribeVolumes", VolumeIds=[vid])["Volumes"][0]
        self.assertEqual((v["Size"], v["VolumeType"], v["Encrypted"]), (8, "gp3", False))
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")
        self.fails("DescribeVolumes", "InvalidVolume.NotFound", VolumeIds=[vid])

    def test_block_device_rules(self):
        def bdm(**ebs):
            return [{"DeviceName": "/dev/sda1", "Ebs": ebs}]
        img = self.image()
        base = dict(ImageId=img, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                    SubnetId=self.sub)
        self.fails("RunInstances", "InvalidBlockDeviceMapping",
                   BlockDeviceMappings=bdm(VolumeSize=4), **base)
        self.fails("RunInstances", "InvalidParameterCombination",
                   BlockDeviceMappings=bdm(VolumeType="io2", VolumeSize=10), **base)
        self.fails("RunInstances", "InvalidParameterCombination",
                   BlockDeviceMappings=bdm(VolumeType="gp2", Iops=3000), **base)
        self.fails("RunInstances", "InvalidParameterCombination",
                   BlockDeviceMappings=bdm(VolumeType="gp2", Throughput=200), **base)
        self.fails("RunInstances", "InvalidParameterValue",
                   BlockDeviceMappings=bdm(VolumeType="gp3", Throughput=5000), **base)
        self.fails("RunInstances", "InvalidParameterValue",
                   BlockDeviceMappings=bdm(VolumeType="magnetic"), **base)
        self.assertEqual(self.ok("DescribeInstances")["Reservations"], [])

    def test_run_instances_validation(self):
        img = self.image()
        arm = self.image(arch="arm64")
        base = dict(InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=self.sub)
        self.fails("RunInstances", "InvalidParameterValue", ImageId=arm, **base)
        b2 = dict(base, InstanceType="t4g.micro")
        self.fails("RunInstances", "InvalidParameterValue", ImageId=img, **b2)
        self.fails("RunInstances", "InvalidAMIID.NotFound", ImageId="ami-0123456789abcdef0", **base)
        self.fails("RunInstances", "InvalidKeyPair.NotFound", ImageId=img, KeyName="nope", **base)
        self.fails("RunInstances", "InvalidSubnetID.NotFound", ImageId=img,
                   **dict(base, SubnetId="subnet-0123456789abcdef0"))
        self.fails("RunInstances", "InvalidParameterValue", ImageId=img,
                   **dict(base, InstanceType="t3.colossal"))
        self.fails("RunInstances", "InvalidParameterValue", ImageId=img,
                   UserData="***not base64***", **base)
        other = self.vpc("10.30.0.0/16")
        g = self.ok("CreateSecurityGroup", GroupName="o", Description="o", VpcId=other)["GroupId"]
        self.fails("RunInstances", "InvalidParameter", ImageId=img, SecurityGroupIds=[g], **base)
        self.fails("RunInstances", "InvalidParameterValue", ImageId=img,
                   MetadataOptions={"HttpPutResponseHopLimit": 99}, **base)
        self.fails("RunInstances", "InvalidParameterValue", ImageId=img,
                   TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}],
                   **base)
        self.fails("RunInstances", "MissingParameter", InstanceType="t3.micro",
                   SubnetId=self.sub, MinCount=1, MaxCount=1)
        self.assertEqual(self.ok("DescribeInstances")["Reservations"], [])

    def test_client_token_idempotency(self):
        params = dict(ImageId=self.image(), InstanceType="t3.micro", MinCount=1,
                      MaxCount=1, SubnetId=self.sub, ClientToken="craftctl-abc-1")
        a = self.ok("RunInstances", **params)
        b = self.ok("RunInstances", **params)
        self.assertEqual(a["ReservationId"], b["ReservationId"])
        self.assertEqual(a["Instances"][0]["InstanceId"], b["Instances"][0]["InstanceId"])
        self.assertEqual(a["Instances"][0]["ClientToken"], "craftctl-abc-1")
        n = sum(len(r["Instances"]) for r in self.ok("DescribeInstances")["Reservations"])
        self.assertEqual(n, 1)
        self.fails("RunInstances", "IdempotentParameterMismatch",
                   **dict(params, InstanceType="t3.large"))
        got = self.ok("DescribeInstances", Filters=[
            {"Name": "client-token", "Values": ["craftctl-abc-1"]}])
        self.assertEqual(len(got["Reservations"]), 1)

    def test_user_data_metadata_and_attributes(self):
        ud = base64.b64encode(b"#cloud-config\nruncmd: [touch /tmp/never]\n").decode()
        iid = self.launch(self.sub, UserData=ud, MetadataOptions={
            "HttpTokens": "required", "HttpPutResponseHopLimit": 2})
        a = self.ok("DescribeInstanceAttribute", InstanceId=iid, Attribute="userData")
        self.assertEqual(a["UserData"]["Value"], ud)
        inst = self.sim.wait_state(iid, "running")
        self.assertEqual(inst["MetadataOptions"]["HttpTokens"], "required")
        self.assertEqual(inst["MetadataOptions"]["HttpPutResponseHopLimit"], 2)
        a = self.ok("DescribeInstanceAttribute", InstanceId=iid, Attribute="instanceType")
        self.assertEqual(a["InstanceType"]["Value"], "t3.micro")
        a = self.ok("DescribeInstanceAttribute", InstanceId=iid, Attribute="groupSet")
        self.assertEqual(len(a["Groups"]), 1)

    def test_console_output(self):
        iid = self.launch(self.sub)
        out = self.ok("GetConsoleOutput", InstanceId=iid)
        self.assertEqual(out["InstanceId"], iid)
        self.assertNotIn("Output", out)   # nothing before boot
        self.sim.wait_state(iid, "running")
        text = base64.b64decode(self.ok("GetConsoleOutput", InstanceId=iid)["Output"]).decode()
        m = re.search(r"-----BEGIN SSH HOST KEY FINGERPRINTS-----(.*?)"
                      r"-----END SSH HOST KEY FINGERPRINTS-----", text, re.S)
        self.assertIsNotNone(m, text)
        fps = re.findall(r"(\d+) (SHA256:\S+) root@ip-10-20-0-\d+ \((\w+)\)", m.group(1))
        self.assertEqual(sorted(f[2] for f in fps), ["ECDSA", "ED25519", "RSA"])
        keys = re.search(r"-----BEGIN SSH HOST KEY KEYS-----\r?\n(.*?)"
                         r"-----END SSH HOST KEY KEYS-----", text, re.S).group(1)
        self.assertEqual(len(keys.strip().splitlines()), 3)
        # a console that never shows the keys (as some implementations do)
        self.sim.control("POST", "faults", {"console_keys": False})
        try:
            text = base64.b64decode(self.ok("GetConsoleOutput", InstanceId=iid)["Output"]).decode()
        finally:
            self.sim.control("POST", "faults", {"console_keys": True})
        self.assertIn("cloud-init", text)
        self.assertNotIn("SSH HOST KEY", text)
        self.assertNotIn("ssh-ed25519", text)

    def test_elastic_ips(self):
        iid = self.launch(self.sub)
        a = self.ok("AllocateAddress", Domain="vpc")
        alloc = a["AllocationId"]
        self.assertTrue(a["PublicIp"].startswith("127.0.1."))
        self.fails("AssociateAddress", "IncorrectInstanceState", AllocationId=alloc,
                   InstanceId=iid)
        self.sim.wait_state(iid, "running")
        assoc = self.ok("AssociateAddress", AllocationId=alloc, InstanceId=iid)["AssociationId"]
        inst = self.ok("DescribeInstances", InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual(inst["PublicIpAddress"], a["PublicIp"])
        d = self.ok("DescribeAddresses", AllocationIds=[alloc])["Addresses"][0]
        self.assertEqual((d["InstanceId"], d["AssociationId"]), (iid, assoc))
        self.fails("ReleaseAddress", "InvalidIPAddress.InUse", AllocationId=alloc)
        self.fails("DetachInternetGateway", "DependencyViolation",
                   InternetGatewayId=self.igw, VpcId=self.vpc_id)
        self.ok("DisassociateAddress", AssociationId=assoc)
        self.fails("DisassociateAddress", "InvalidAssociationID.NotFound", AssociationId=assoc)
        self.ok("ReleaseAddress", AllocationId=alloc)
        self.fails("DescribeAddresses", "InvalidAllocationID.NotFound", AllocationIds=[alloc])
        for _ in range(5):
            self.ok("AllocateAddress", Domain="vpc")
        self.fails("AllocateAddress", "AddressLimitExceeded", Domain="vpc")

    def test_tags(self):
        iid = self.launch(self.sub)
        self.ok("CreateTags", Resources=[iid, self.vpc_id], Tags=[
            {"Key": "craftctl:stack", "Value": "demo"}, {"Key": "env", "Value": "test"}])
        self.fails("CreateTags", "InvalidParameterValue", Resources=[iid],
                   Tags=[{"Key": "aws:reserved", "Value": "x"}])
        self.fails("CreateTags", "InvalidInstanceID.NotFound",
                   Resources=["i-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])
        self.fails("CreateTags", "InvalidID", Resources=["bogus-1234"],
                   Tags=[{"Key": "a", "Value": "b"}])
        t = self.ok("DescribeTags", Filters=[{"Name": "resource-id", "Values": [iid]}])["Tags"]
        self.assertEqual(sorted((x["Key"], x["Value"], x["ResourceType"]) for x in t),
                         [("craftctl:stack", "demo", "instance"), ("env", "test", "instance")])
        t = self.ok("DescribeTags", Filters=[{"Name": "key", "Values": ["craftctl:stack"]}])["Tags"]
        self.assertEqual(sorted(x["ResourceType"] for x in t), ["instance", "vpc"])
        self.ok("DeleteTags", Resources=[iid], Tags=[{"Key": "env", "Value": "other"}])
        self.ok("DeleteTags", Resources=[iid], Tags=[{"Key": "craftctl:stack"}])
        inst = self.ok("DescribeInstances", InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual(inst["Tags"], [{"Key": "env", "Value": "test"}])

    def test_instance_paging_and_filters(self):
        img = self.image()
        self.ok("RunInstances", ImageId=img, InstanceType="t3.micro", MinCount=7,
                MaxCount=7, SubnetId=self.sub)
        seen, token = [], None
        while True:
            kw = {"MaxResults": 5}
            if token:
                kw["NextToken"] = token
            p = self.ok("DescribeInstances", **kw)
            seen += [i["InstanceId"] for r in p["Reservations"] for i in r["Instances"]]
            token = p.get("NextToken")
            if not token:
                break
        self.assertEqual(len(set(seen)), 7)
        got = self.ok("DescribeInstances", Filters=[
            {"Name": "vpc-id", "Values": [self.vpc_id]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
        self.assertEqual(len(got["Reservations"][0]["Instances"]), 7)

    def test_zones_and_account(self):
        z = self.ok("DescribeAvailabilityZones")["AvailabilityZones"]
        self.assertEqual([x["ZoneName"] for x in z], ["us-east-2a", "us-east-2b", "us-east-2c"])
        self.fails("DescribeAvailabilityZones", "InvalidParameterValue", ZoneNames=["us-east-2q"])
        z = self.sim.ok("DescribeAvailabilityZones", region="eu-central-1")["AvailabilityZones"]
        self.assertEqual(z[0]["ZoneId"], "euc1-az1")
        attrs = self.ok("DescribeAccountAttributes")["AccountAttributes"]
        names = {a["AttributeName"]: a["AttributeValues"][0]["AttributeValue"] for a in attrs}
        self.assertEqual(names["supported-platforms"], "VPC")
        self.assertTrue(names["default-vpc"].startswith("vpc-"))

    def test_default_vpc_launch(self):
        iid = self.ok("RunInstances", ImageId=self.image(), InstanceType="t3.micro",
                      MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        inst = self.sim.wait_state(iid, "running")
        self.assertTrue(inst["PrivateIpAddress"].startswith("172.31."))
        self.assertIn("PublicIpAddress", inst)
        self.assertTrue(inst["PublicDnsName"].startswith("ec2-127-0-"))


class InstanceChangesTest(NetworkTest):
    SIM_ARGS = ("--boot-seconds", "0.5", "--terminate-seconds", "0.5",
                "--volume-modification-cooldown", "6")

    def test_stop_and_start(self):
        iid = self.launch(self.sub)
        self.fails("StopInstances", "IncorrectInstanceState", InstanceIds=[iid])  # pending
        first = self.sim.wait_state(iid, "running")
        r = self.ok("StopInstances", InstanceIds=[iid])["StoppingInstances"][0]
        self.assertEqual((r["PreviousState"]["Name"], r["CurrentState"]["Name"]),
                         ("running", "stopping"))
        stopped = self.sim.wait_state(iid, "stopped")
        self.assertNotIn("PublicIpAddress", stopped)
        self.assertEqual(stopped["PrivateIpAddress"], first["PrivateIpAddress"])
        self.assertEqual(stopped["BlockDeviceMappings"], first["BlockDeviceMappings"])
        self.assertNotIn("Output", self.ok("GetConsoleOutput", InstanceId=iid))
        # still a dependency of its subnet; no longer maps a public address
        self.fails("DeleteSubnet", "DependencyViolation", SubnetId=self.sub)
        r = self.ok("StartInstances", InstanceIds=[iid])["StartingInstances"][0]
        self.assertEqual((r["PreviousState"]["Name"], r["CurrentState"]["Name"]),
                         ("stopped", "pending"))
        again = self.sim.wait_state(iid, "running")
        self.assertTrue(again["PublicIpAddress"].startswith("127.0."))
        self.assertNotEqual(again["PublicIpAddress"], first["PublicIpAddress"])
        self.assertIn("Output", self.ok("GetConsoleOutput", InstanceId=iid))
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.fails("StartInstances", "IncorrectInstanceState", InstanceIds=[iid])
        self.fails("StopInstances", "InvalidInstanceID.NotFound",
                   InstanceIds=["i-0123456789abcdef0"])

    def test_modify_metadata_options(self):
        iid = self.launch(self.sub)
        self.sim.wait_state(iid, "running")
        r = self.ok("ModifyInstanceMetadataOptions", InstanceId=iid, HttpTokens="required",
                    HttpPutResponseHopLimit=2)
        self.assertEqual(r["InstanceMetadataOptions"]["State"], "pending")
        self.assertEqual(r["InstanceMetadataOptions"]["HttpTokens"], "required")
        self.fails("ModifyInstanceMetadataOptions", "InvalidParameterValue", InstanceId=iid,
                   HttpPutResponseHopLimit=65)
        time.sleep(1.2)
        inst = self.ok("DescribeInstances", InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual((inst["MetadataOptions"]["State"], inst["MetadataOptions"]["HttpTokens"],
                          inst["MetadataOptions"]["HttpPutResponseHopLimit"]),
                         ("applied", "required", 2))

    def test_modify_volume(self):
        iid = self.launch(self.sub, BlockDeviceMappings=[
            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 10, "VolumeType": "gp2"}}])
        inst = self.sim.wait_state(iid, "running")
        vid = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.fails("ModifyVolume", "InvalidParameterValue", VolumeId=vid, Size=8)
        self.fails("ModifyVolume", "InvalidParameterValue", VolumeId=vid, Size=10)
        self.fails("ModifyVolume", "InvalidParameterCombination", VolumeId=vid,
                   VolumeType="io2")
        m = self.ok("ModifyVolume", VolumeId=vid, Size=20, VolumeType="gp3")["VolumeModification"]
        self.assertEqual((m["ModificationState"], m["OriginalSize"], m["TargetSize"],
                          m["OriginalVolumeType"], m["TargetVolumeType"], m["TargetIops"],
                          m["TargetThroughput"]),
                         ("modifying", 10, 20, "gp2", "gp3", 3000, 125))
        self.fails("ModifyVolume", "IncorrectModificationState", VolumeId=vid, Size=30)
        v = self.ok("DescribeVolumes", VolumeIds=[vid])["Volumes"][0]
        self.assertEqual((v["Size"], v["VolumeType"]), (20, "gp3"))
        deadline = time.monotonic() + 10
        while True:
            mods = self.ok("DescribeVolumesModifications", VolumeIds=[vid])["VolumesModifications"]
            if mods[0]["ModificationState"] == "completed" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(mods[0]["ModificationState"], "completed")
        # AWS: six hours between modifications of one volume (6 s here; the
        # modification completes after 3 s, which leaves 3 s for this call)
        self.fails("ModifyVolume", "VolumeModificationRateExceeded", VolumeId=vid, Size=30)
        time.sleep(max(0.0, m["StartTime"].timestamp() + 6.2 - time.time()))
        self.ok("ModifyVolume", VolumeId=vid, Size=30)
        other = self.launch(self.sub)
        ov = self.sim.wait_state(other, "running")["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.fails("DescribeVolumesModifications", "InvalidVolumeModification.NotFound",
                   VolumeIds=[ov])

    def test_replace_route(self):
        rtb = self.ok("CreateRouteTable", VpcId=self.vpc_id)["RouteTable"]["RouteTableId"]
        self.fails("ReplaceRoute", "InvalidParameterValue", RouteTableId=rtb,
                   DestinationCidrBlock="0.0.0.0/0", GatewayId=self.igw)
        self.ok("CreateRoute", RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                GatewayId=self.igw)
        other_vpc = self.vpc("10.40.0.0/16")
        other = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=other, VpcId=other_vpc)
        self.fails("ReplaceRoute", "InvalidParameterValue", RouteTableId=rtb,
                   DestinationCidrBlock="0.0.0.0/0", GatewayId=other)
        self.fails("ReplaceRoute", "InvalidParameterValue", RouteTableId=rtb,
                   DestinationCidrBlock="10.20.0.0/16", GatewayId=self.igw)
        self.ok("ReplaceRoute", RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                GatewayId=self.igw)
        rt = self.ok("DescribeRouteTables", RouteTableIds=[rtb])["RouteTables"][0]
        self.assertEqual(rt["Routes"][1]["GatewayId"], self.igw)
