"""Real clients unchanged: Debian's aws CLI (awscli 2) and boto3."""

import json
import os
import shutil
import subprocess
import tempfile
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from simclient import KEY, SECRET, SimTest

AWS = "/usr/bin/aws"


class AwsCliTest(SimTest):
    SIM_ARGS = ("--boot-seconds", "0.5", "--terminate-seconds", "0.5",
                "--consistency-delay-ms", "300", "--seed", "7")

    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="awssim-cli-home-")
        self.env = {
            "PATH": "/usr/bin:/bin", "HOME": self.home,
            "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-2", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "10", "AWS_RETRY_MODE": "standard",
        }

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def aws(self, *args, ok=True):
        cmd = [AWS, "--endpoint-url", self.sim.endpoint, "--output", "json", *args]
        r = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)
        if ok and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: {r.returncode} {r.stderr}")
        if not ok:
            return r
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def test_provision_and_teardown(self):
        tags = "ResourceType={},Tags=[{{Key=craftctl:stack,Value=cli}}]"
        vpc = self.aws("ec2", "create-vpc", "--cidr-block", "10.50.0.0/16",
                       "--tag-specifications", tags.format("vpc"))["Vpc"]["VpcId"]
        # the waiter rides out the consistency delay (it retries NotFound)
        self.aws("ec2", "wait", "vpc-exists", "--vpc-ids", vpc)
        self.aws("ec2", "modify-vpc-attribute", "--vpc-id", vpc,
                 "--enable-dns-hostnames", '{"Value":true}')
        sub = self.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block",
                       "10.50.1.0/24", "--availability-zone", "us-east-2a",
                       "--tag-specifications", tags.format("subnet"))["Subnet"]["SubnetId"]
        self.aws("ec2", "modify-subnet-attribute", "--subnet-id", sub,
                 "--map-public-ip-on-launch")
        igw = self.aws("ec2", "create-internet-gateway", "--tag-specifications",
                       tags.format("internet-gateway"))["InternetGateway"]["InternetGatewayId"]
        self.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw,
                 "--vpc-id", vpc)
        rtb = self.aws("ec2", "create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
        self.aws("ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block",
                 "0.0.0.0/0", "--gateway-id", igw)
        assoc = self.aws("ec2", "associate-route-table", "--route-table-id", rtb,
                         "--subnet-id", sub)["AssociationId"]
        sg = self.aws("ec2", "create-security-group", "--group-name", "cli-web",
                      "--description", "cli web", "--vpc-id", vpc)["GroupId"]
        self.aws("ec2", "authorize-security-group-ingress", "--group-id", sg,
                 "--protocol", "tcp", "--port", "22", "--cidr", "127.0.0.1/32")
        dup = self.aws("ec2", "authorize-security-group-ingress", "--group-id", sg,
                       "--protocol", "tcp", "--port", "22", "--cidr", "127.0.0.1/32", ok=False)
        self.assertIn("InvalidPermission.Duplicate", dup.stderr)
        keydir = tempfile.mkdtemp(dir=self.home)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(keydir, "k")], check=True)
        self.aws("ec2", "import-key-pair", "--key-name", "cli-key",
                 "--public-key-material", f"fileb://{keydir}/k.pub")
        ami = self.aws("ec2", "describe-images", "--owners", "099720109477", "--filters",
                       "Name=name,Values=ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
                       "--query", "sort_by(Images,&CreationDate)[-1].ImageId", "--output", "json")
        self.assertTrue(ami.startswith("ami-"))
        run = self.aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.small",
                       "--key-name", "cli-key", "--subnet-id", sub, "--security-group-ids", sg,
                       "--block-device-mappings",
                       '[{"DeviceName":"/dev/sda1","Ebs":{"VolumeSize":16,"VolumeType":"gp3","Encrypted":true}}]',
                       "--user-data", "#!/bin/sh\necho hi\n",
                       "--metadata-options", "HttpTokens=required",
                       "--tag-specifications", tags.format("instance"))
        iid = run["Instances"][0]["InstanceId"]
        self.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
        inst = self.aws("ec2", "describe-instances", "--instance-ids", iid)[
            "Reservations"][0]["Instances"][0]
        self.assertTrue(inst["PublicIpAddress"].startswith("127.0."))
        self.assertTrue(inst["PublicDnsName"])
        ud = self.aws("ec2", "describe-instance-attribute", "--instance-id", iid,
                      "--attribute", "userData")
        import base64
        self.assertEqual(base64.b64decode(ud["UserData"]["Value"]), b"#!/bin/sh\necho hi\n")
        found = self.aws("ec2", "describe-instances", "--filters",
                         "Name=tag:craftctl:stack,Values=cli",
                         "Name=instance-state-name,Values=running")
        self.assertEqual(len(found["Reservations"]), 1)
        eip = self.aws("ec2", "allocate-address", "--domain", "vpc")
        ea = self.aws("ec2", "associate-address", "--allocation-id", eip["AllocationId"],
                      "--instance-id", iid)["AssociationId"]
        # teardown in dependency order, with AWS's errors when out of order
        r = self.aws("ec2", "delete-vpc", "--vpc-id", vpc, ok=False)
        self.assertIn("DependencyViolation", r.stderr)
        r = self.aws("ec2", "detach-internet-gateway", "--internet-gateway-id", igw,
                     "--vpc-id", vpc, ok=False)
        self.assertIn("DependencyViolation", r.stderr)
        self.aws("ec2", "disassociate-address", "--association-id", ea)
        self.aws("ec2", "release-address", "--allocation-id", eip["AllocationId"])
        self.aws("ec2", "terminate-instances", "--instance-ids", iid)
        self.aws("ec2", "wait", "instance-terminated", "--instance-ids", iid)
        self.aws("ec2", "delete-security-group", "--group-id", sg)
        self.aws("ec2", "delete-key-pair", "--key-name", "cli-key")
        self.aws("ec2", "disassociate-route-table", "--association-id", assoc)
        self.aws("ec2", "delete-route-table", "--route-table-id", rtb)
        self.aws("ec2", "detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
        self.aws("ec2", "delete-internet-gateway", "--internet-gateway-id", igw)
        self.aws("ec2", "delete-subnet", "--subnet-id", sub)
        self.aws("ec2", "delete-vpc", "--vpc-id", vpc)
        left = self.aws("ec2", "describe-vpcs", "--filters", "Name=tag:craftctl:stack,Values=cli")
        self.assertEqual(left["Vpcs"], [])
        ident = self.aws("sts", "get-caller-identity")
        self.assertEqual(ident["Account"], "123456789012")
        # every call reached the simulator signed and valid: no auth or
        # validation errors in the log (only the deliberate ones above)
        _, calls = self.sim.control("GET", "calls")
        errors = {c["error"] for c in calls if c["error"]}
        self.assertLessEqual(errors, {"InvalidPermission.Duplicate", "DependencyViolation",
                                      "InvalidVpcID.NotFound", "InvalidInstanceID.NotFound"},
                             errors)

    def test_wrong_secret(self):
        self.env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        r = self.aws("ec2", "describe-vpcs", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AuthFailure", r.stderr)
        r = self.aws("sts", "get-caller-identity", ok=False)
        self.assertIn("SignatureDoesNotMatch", r.stderr)


class Boto3Test(SimTest):
    SIM_ARGS = ("--boot-seconds", "0.5", "--terminate-seconds", "0.5",
                "--volume-seconds", "0.3", "--snapshot-seconds", "0.5")

    def client(self, service, secret=SECRET, **kw):
        return boto3.client(service, endpoint_url=self.sim.endpoint, region_name="us-east-2",
                            aws_access_key_id=KEY, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}), **kw)

    def test_volume_snapshot_and_type_change_waiters(self):
        # boto3's own waiters see the states they expect, in order
        ec2 = self.client("ec2")
        fast = {"Delay": 0.2, "MaxAttempts": 50}
        imgs = ec2.describe_images(Owners=["099720109477"], Filters=[
            {"Name": "name", "Values": ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-*"]}])
        ami = sorted(imgs["Images"], key=lambda i: i["CreationDate"])[-1]["ImageId"]
        iid = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1,
                                Placement={"AvailabilityZone": "us-east-2b"})[
            "Instances"][0]["InstanceId"]
        vid = ec2.create_volume(AvailabilityZone="us-east-2b", Size=20, VolumeType="gp3",
                                Encrypted=True, ClientToken="data-1")["VolumeId"]
        ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=fast)
        ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=fast)
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
        ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid], WaiterConfig=fast)
        sid = ec2.create_snapshot(VolumeId=vid, Description="b")["SnapshotId"]
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=fast)
        ec2.stop_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=fast)
        ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
        ec2.start_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=fast)
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual(inst["InstanceType"], "t3.large")
        self.assertIn("/dev/sdf", [b["DeviceName"] for b in inst["BlockDeviceMappings"]])
        ec2.detach_volume(VolumeId=vid)
        ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=fast)
        ec2.delete_volume(VolumeId=vid)
        ec2.get_waiter("volume_deleted").wait(VolumeIds=[vid], WaiterConfig=fast)
        ec2.delete_snapshot(SnapshotId=sid)
        self.assertEqual(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"], [])
        ec2.terminate_instances(InstanceIds=[iid])

    def test_provision_and_teardown(self):
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.0.0/24")["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        main = ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
        ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        sg = ec2.create_security_group(GroupName="b3", Description="boto3", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        imgs = ec2.describe_images(Owners=["099720109477"], Filters=[
            {"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-*"]}])
        ami = sorted(imgs["Images"], key=lambda i: i["CreationDate"])[-1]["ImageId"]
        r = ec2.run_instances(ImageId=ami, InstanceType="t4g.small", MinCount=2, MaxCount=2,
                              SubnetId=sub, SecurityGroupIds=[sg],
                              ClientToken="boto3-token-1", UserData="hello")
        ids = [i["InstanceId"] for i in r["Instances"]]
        ec2.get_waiter("instance_running").wait(InstanceIds=ids,
                                                WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        paged = []
        for page in ec2.get_paginator("describe_instances").paginate(
                PaginationConfig={"PageSize": 5}):
            paged += [i["InstanceId"] for res in page["Reservations"] for i in res["Instances"]]
        self.assertEqual(sorted(paged), sorted(ids))
        with self.assertRaises(ClientError) as cm:
            ec2.delete_security_group(GroupId=sg)
        self.assertEqual(cm.exception.response["Error"]["Code"], "DependencyViolation")
        with self.assertRaises(ClientError) as cm:
            ec2.run_instances(ImageId=ami, InstanceType="t4g.small", MinCount=1, MaxCount=1,
                              SubnetId=sub, DryRun=True)
        self.assertEqual(cm.exception.response["Error"]["Code"], "DryRunOperation")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        ec2.terminate_instances(InstanceIds=ids)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=ids,
                                                   WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        ec2.delete_security_group(GroupId=sg)
        ec2.delete_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0")
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        ec2.delete_subnet(SubnetId=sub)
        ec2.delete_vpc(VpcId=vpc)
        with self.assertRaises(ClientError) as cm:
            ec2.describe_vpcs(VpcIds=[vpc])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidVpcID.NotFound")

    def test_sts_and_wrong_secret(self):
        sts = self.client("sts")
        role = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/deploy",
                               RoleSessionName="b3")["Credentials"]
        ec2 = boto3.client("ec2", endpoint_url=self.sim.endpoint, region_name="us-east-2",
                           aws_access_key_id=role["AccessKeyId"],
                           aws_secret_access_key=role["SecretAccessKey"],
                           aws_session_token=role["SessionToken"])
        self.assertIn("Vpcs", ec2.describe_vpcs())
        bad = self.client("ec2", secret="wrong")
        with self.assertRaises(ClientError) as cm:
            bad.describe_vpcs()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AuthFailure")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 401)

    def test_throttling_is_retried_by_sdk(self):
        self.sim.control("POST", "faults", {"script": [
            {"action": "DescribeVpcs", "code": "RequestLimitExceeded", "status": 503,
             "message": "Request limit exceeded.", "count": 2}]})
        ec2 = boto3.client("ec2", endpoint_url=self.sim.endpoint, region_name="us-east-2",
                           aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                           config=Config(retries={"max_attempts": 5, "mode": "standard"}))
        t0 = time.monotonic()
        ec2.describe_vpcs()
        self.assertLess(time.monotonic() - t0, 30)
        _, calls = self.sim.control("GET", "calls")
        self.assertEqual([c["error"] for c in calls if c["action"] == "DescribeVpcs"],
                         ["RequestLimitExceeded", "RequestLimitExceeded", None])
