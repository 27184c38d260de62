"""VPC, subnet, gateway, route table, security group and key pair rules."""

import base64
import os
import subprocess
import tempfile

from simclient import SimTest


def ssh_pubkey(kind="ed25519"):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "k")
        args = ["-t", "ed25519"] if kind == "ed25519" else ["-t", kind, "-b", "2048" if kind == "rsa" else "256"]
        subprocess.run(["ssh-keygen", "-q", *args, "-N", "", "-f", path], check=True)
        with open(path + ".pub", encoding="ascii") as f:
            pub = f.read()
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", path + ".pub"],
                            check=True, capture_output=True, text=True).stdout
        md5 = ""
        if kind == "rsa":
            der = subprocess.run(
                f"ssh-keygen -e -m PKCS8 -f {path}.pub | openssl pkey -pubin -outform DER "
                f"| openssl md5 -c", shell=True, check=True, capture_output=True,
                text=True).stdout
            md5 = der.strip().split()[-1]
        return pub, fp.split()[1], md5


class VpcTest(SimTest):
    def test_default_vpc_and_per_vpc_defaults(self):
        vpcs = self.ok("DescribeVpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        self.assertEqual(len(vpcs), 1)
        self.assertEqual(vpcs[0]["CidrBlock"], "172.31.0.0/16")
        vpc = self.vpc()
        sgs = self.ok("DescribeSecurityGroups", Filters=[
            {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
        self.assertEqual([g["GroupName"] for g in sgs], ["default"])
        g = sgs[0]
        self.assertEqual(g["Description"], "default VPC security group")
        self.assertEqual(g["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"], g["GroupId"])
        self.assertEqual(g["IpPermissionsEgress"][0]["IpRanges"][0]["CidrIp"], "0.0.0.0/0")
        rts = self.ok("DescribeRouteTables", Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
        self.assertEqual(len(rts), 1)
        self.assertEqual(rts[0]["Routes"][0]["GatewayId"], "local")
        self.assertEqual(rts[0]["Routes"][0]["DestinationCidrBlock"], "10.20.0.0/16")
        a = self.ok("DescribeVpcAttribute", VpcId=vpc, Attribute="enableDnsHostnames")
        self.assertFalse(a["EnableDnsHostnames"]["Value"])
        self.ok("ModifyVpcAttribute", VpcId=vpc, EnableDnsHostnames={"Value": True})
        a = self.ok("DescribeVpcAttribute", VpcId=vpc, Attribute="enableDnsHostnames")
        self.assertTrue(a["EnableDnsHostnames"]["Value"])
        self.fails("ModifyVpcAttribute", "InvalidParameterCombination", VpcId=vpc,
                   EnableDnsHostnames={"Value": True}, EnableDnsSupport={"Value": True})

    def test_cidr_rules(self):
        self.fails("CreateVpc", "InvalidVpc.Range", CidrBlock="10.0.0.0/8")
        self.fails("CreateVpc", "InvalidVpc.Range", CidrBlock="10.0.0.0/29")
        self.fails("CreateVpc", "InvalidParameterValue", CidrBlock="10.0.0.1/16")
        self.fails("CreateVpc", "InvalidParameterValue", CidrBlock="banana")
        vpc = self.vpc()
        self.fails("CreateSubnet", "InvalidSubnet.Range", VpcId=vpc,
                   CidrBlock="10.21.0.0/24")
        self.fails("CreateSubnet", "InvalidSubnet.Range", VpcId=vpc,
                   CidrBlock="10.20.0.0/29")
        self.subnet(vpc, "10.20.0.0/24")
        self.fails("CreateSubnet", "InvalidSubnet.Conflict", VpcId=vpc,
                   CidrBlock="10.20.0.128/25")
        self.fails("CreateSubnet", "InvalidParameterValue", VpcId=vpc,
                   CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-2z")
        s = self.ok("CreateSubnet", VpcId=vpc, CidrBlock="10.20.1.0/24",
                    AvailabilityZoneId="use2-az2")["Subnet"]
        self.assertEqual(s["AvailabilityZone"], "us-east-2b")
        self.assertEqual(s["AvailableIpAddressCount"], 251)

    def test_vpc_limit(self):
        # the default VPC counts, as on AWS
        for i in range(4):
            self.vpc(f"10.{i}.0.0/16")
        self.fails("CreateVpc", "VpcLimitExceeded", CidrBlock="10.9.0.0/16")

    def test_not_found_and_malformed_codes(self):
        cases = [
            ("DeleteVpc", {"VpcId": "vpc-0123456789abcdef0"}, "InvalidVpcID.NotFound"),
            ("DeleteVpc", {"VpcId": "vpc-xyz"}, "InvalidVpcID.Malformed"),
            ("DeleteSubnet", {"SubnetId": "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound"),
            ("DeleteInternetGateway", {"InternetGatewayId": "igw-0123456789abcdef0"},
             "InvalidInternetGatewayID.NotFound"),
            ("DeleteRouteTable", {"RouteTableId": "rtb-0123456789abcdef0"},
             "InvalidRouteTableID.NotFound"),
            ("DeleteSecurityGroup", {"GroupId": "sg-0123456789abcdef0"}, "InvalidGroup.NotFound"),
            ("DescribeInstances", {"InstanceIds": ["i-0123456789abcdef0"]},
             "InvalidInstanceID.NotFound"),
            ("DescribeInstances", {"InstanceIds": ["i-nope"]}, "InvalidInstanceID.Malformed"),
            ("DescribeImages", {"ImageIds": ["ami-0123456789abcdef0"]}, "InvalidAMIID.NotFound"),
            ("DescribeImages", {"ImageIds": ["ami-zz"]}, "InvalidAMIID.Malformed"),
            ("DescribeKeyPairs", {"KeyNames": ["nokey"]}, "InvalidKeyPair.NotFound"),
            ("DescribeVolumes", {"VolumeIds": ["vol-0123456789abcdef0"]}, "InvalidVolume.NotFound"),
            ("ReleaseAddress", {"AllocationId": "eipalloc-0123456789abcdef0"},
             "InvalidAllocationID.NotFound"),
            ("DisassociateAddress", {"AssociationId": "eipassoc-0123456789abcdef0"},
             "InvalidAssociationID.NotFound"),
            ("DisassociateRouteTable", {"AssociationId": "rtbassoc-0123456789abcdef0"},
             "InvalidAssociationID.NotFound"),
            ("CreateSubnet", {"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.0.0.0/24"},
             "InvalidVpcID.NotFound"),
        ]
        for action, params, code in cases:
            r = self.sim.call(action, params)
            self.assertEqual((r.status, r.code), (400, code), (action, r.raw))

    def test_filters_and_paging(self):
        ids = [self.vpc(f"10.{i}.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "craftctl:stack", "Value": f"s{i % 2}"}]}])
            for i in range(4)]
        got = self.ok("DescribeVpcs", Filters=[
            {"Name": "tag:craftctl:stack", "Values": ["s0"]}])["Vpcs"]
        self.assertEqual(sorted(v["VpcId"] for v in got), sorted([ids[0], ids[2]]))
        got = self.ok("DescribeVpcs", Filters=[{"Name": "tag-key", "Values": ["craftctl:*"]}])
        self.assertEqual(len(got["Vpcs"]), 4)
        got = self.ok("DescribeVpcs", Filters=[{"Name": "cidr", "Values": ["10.1.*", "10.3.*"]}])
        self.assertEqual(sorted(v["VpcId"] for v in got["Vpcs"]), sorted([ids[1], ids[3]]))
        self.fails("DescribeVpcs", "InvalidParameterValue",
                   Filters=[{"Name": "colour", "Values": ["red"]}])
        # a backslash makes * and ? literal
        self.ok("CreateTags", Resources=[ids[1]], Tags=[{"Key": "odd", "Value": "a*b?"}])
        self.ok("CreateTags", Resources=[ids[2]], Tags=[{"Key": "odd", "Value": "axxb!"}])
        got = self.ok("DescribeVpcs", Filters=[{"Name": "tag:odd", "Values": ["a\\*b\\?"]}])
        self.assertEqual([v["VpcId"] for v in got["Vpcs"]], [ids[1]])
        got = self.ok("DescribeVpcs", Filters=[{"Name": "tag:odd", "Values": ["a*b?"]}])
        self.assertEqual(len(got["Vpcs"]), 2)
        # paging: 7 subnets in pages of 5
        for i in range(7):
            self.subnet(ids[0], f"10.0.{i}.0/24", public=False)
        seen = []
        token = None
        pages = 0
        while True:
            kw = {"MaxResults": 5, "Filters": [{"Name": "vpc-id", "Values": [ids[0]]}]}
            if token:
                kw["NextToken"] = token
            p = self.ok("DescribeSubnets", **kw)
            seen += [s["SubnetId"] for s in p["Subnets"]]
            pages += 1
            token = p.get("NextToken")
            if not token:
                break
        self.assertEqual((len(seen), len(set(seen)), pages), (7, 7, 2))
        self.fails("DescribeVpcs", "InvalidParameterValue", MaxResults=2)
        self.fails("DescribeVpcs", "InvalidPaginationToken", NextToken="garbage")
        self.fails("DescribeVpcs", "InvalidParameterCombination", VpcIds=[ids[0]],
                   MaxResults=5)
        # paging with 3 instances across pages of 5 is covered in instances;
        # here check DescribeTags paging works
        tags = self.ok("DescribeTags", Filters=[{"Name": "resource-type", "Values": ["vpc"]},
                                                {"Name": "key", "Values": ["craftctl:stack"]}])
        self.assertEqual(len(tags["Tags"]), 4)


class GatewayRouteTest(SimTest):
    def test_igw_attach_detach_and_routes(self):
        vpc = self.vpc()
        igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        rtb = self.ok("CreateRouteTable", VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.fails("CreateRoute", "InvalidParameterValue", RouteTableId=rtb,
                   DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        self.ok("AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        self.fails("AttachInternetGateway", "Resource.AlreadyAssociated",
                   InternetGatewayId=igw, VpcId=vpc)
        got = self.ok("DescribeInternetGateways", Filters=[
            {"Name": "attachment.vpc-id", "Values": [vpc]},
            {"Name": "attachment.state", "Values": ["available"]}])["InternetGateways"]
        # EC2 answers "available" for an attached gateway
        self.assertEqual(got[0]["Attachments"], [{"State": "available", "VpcId": vpc}])
        self.ok("DescribeInternetGateways", InternetGatewayIds=[igw])
        self.ok("CreateRoute", RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                GatewayId=igw)
        self.fails("CreateRoute", "RouteAlreadyExists", RouteTableId=rtb,
                   DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        sub = self.subnet(vpc)
        assoc = self.ok("AssociateRouteTable", RouteTableId=rtb, SubnetId=sub)["AssociationId"]
        self.fails("AssociateRouteTable", "Resource.AlreadyAssociated",
                   RouteTableId=rtb, SubnetId=sub)
        rt = self.ok("DescribeRouteTables", Filters=[
            {"Name": "association.subnet-id", "Values": [sub]}])["RouteTables"][0]
        self.assertEqual(rt["RouteTableId"], rtb)
        self.assertEqual([r["State"] for r in rt["Routes"]], ["active", "active"])
        # a route table with an association, the main one, an attached igw
        self.fails("DeleteRouteTable", "DependencyViolation", RouteTableId=rtb)
        main = self.ok("DescribeRouteTables", Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
        self.fails("DeleteRouteTable", "DependencyViolation",
                   RouteTableId=main["RouteTableId"])
        self.fails("DeleteInternetGateway", "DependencyViolation", InternetGatewayId=igw)
        self.ok("DisassociateRouteTable", AssociationId=assoc)
        self.ok("DetachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        self.fails("DetachInternetGateway", "Gateway.NotAttached",
                   InternetGatewayId=igw, VpcId=vpc)
        rt = self.ok("DescribeRouteTables", RouteTableIds=[rtb])["RouteTables"][0]
        self.assertEqual(rt["Routes"][1]["State"], "blackhole")
        self.ok("DeleteRoute", RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
        self.fails("DeleteRoute", "InvalidRoute.NotFound", RouteTableId=rtb,
                   DestinationCidrBlock="0.0.0.0/0")
        self.ok("DeleteRouteTable", RouteTableId=rtb)
        self.ok("DeleteInternetGateway", InternetGatewayId=igw)
        self.ok("DeleteSubnet", SubnetId=sub)
        self.ok("DeleteVpc", VpcId=vpc)


class DependencyTest(SimTest):
    def test_vpc_with_subnet(self):
        vpc = self.vpc()
        sub = self.subnet(vpc)
        self.fails("DeleteVpc", "DependencyViolation", VpcId=vpc)
        self.ok("DeleteSubnet", SubnetId=sub)
        self.ok("DeleteVpc", VpcId=vpc)

    def test_vpc_with_attached_gateway(self):
        vpc = self.vpc()
        igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        self.fails("DeleteVpc", "DependencyViolation", VpcId=vpc)
        self.ok("DetachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        self.ok("DeleteVpc", VpcId=vpc)

    def test_vpc_with_security_group(self):
        vpc = self.vpc()
        gid = self.ok("CreateSecurityGroup", GroupName="web", Description="web",
                      VpcId=vpc)["GroupId"]
        self.fails("DeleteVpc", "DependencyViolation", VpcId=vpc)
        self.ok("DeleteSecurityGroup", GroupId=gid)
        self.ok("DeleteVpc", VpcId=vpc)
        # the default group and main route table went with it
        self.fails("DescribeSecurityGroups", "InvalidGroup.NotFound", GroupIds=[gid])

    def test_vpc_with_route_table(self):
        vpc = self.vpc()
        rtb = self.ok("CreateRouteTable", VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.fails("DeleteVpc", "DependencyViolation", VpcId=vpc)
        self.ok("DeleteRouteTable", RouteTableId=rtb)
        self.ok("DeleteVpc", VpcId=vpc)

    def test_vpc_subnet_sg_with_instance(self):
        vpc = self.vpc()
        sub = self.subnet(vpc)
        gid = self.ok("CreateSecurityGroup", GroupName="web", Description="web",
                      VpcId=vpc)["GroupId"]
        iid = self.launch(sub, SecurityGroupIds=[gid])
        self.sim.wait_state(iid, "running")
        self.fails("DeleteSubnet", "DependencyViolation", SubnetId=sub)
        self.fails("DeleteSecurityGroup", "DependencyViolation", GroupId=gid)
        self.ok("TerminateInstances", InstanceIds=[iid])
        # still shutting down: still a dependency
        self.fails("DeleteSubnet", "DependencyViolation", SubnetId=sub)
        self.sim.wait_state(iid, "terminated")
        self.ok("DeleteSecurityGroup", GroupId=gid)
        self.ok("DeleteSubnet", SubnetId=sub)
        self.ok("DeleteVpc", VpcId=vpc)

    def test_vpc_with_instance_only(self):
        # an instance keeps the VPC even when checked before the subnet
        vpc = self.vpc()
        sub = self.subnet(vpc)
        iid = self.launch(sub)
        r = self.sim.call("DeleteVpc", {"VpcId": vpc})
        self.assertEqual(r.code, "DependencyViolation")
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")

    def test_sg_referenced_by_other_group(self):
        vpc = self.vpc()
        a = self.ok("CreateSecurityGroup", GroupName="a", Description="a", VpcId=vpc)["GroupId"]
        b = self.ok("CreateSecurityGroup", GroupName="b", Description="b", VpcId=vpc)["GroupId"]
        self.ok("AuthorizeSecurityGroupIngress", GroupId=b, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
             "UserIdGroupPairs": [{"GroupId": a}]}])
        self.fails("DeleteSecurityGroup", "DependencyViolation", GroupId=a)
        self.ok("RevokeSecurityGroupIngress", GroupId=b, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
             "UserIdGroupPairs": [{"GroupId": a}]}])
        self.ok("DeleteSecurityGroup", GroupId=a)

    def test_detach_gateway_with_mapped_public_address(self):
        vpc = self.vpc()
        igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        sub = self.subnet(vpc, public=True)
        iid = self.launch(sub)
        inst = self.sim.wait_state(iid, "running")
        self.assertIn("PublicIpAddress", inst)
        self.fails("DetachInternetGateway", "DependencyViolation",
                   InternetGatewayId=igw, VpcId=vpc)
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")
        self.ok("DetachInternetGateway", InternetGatewayId=igw, VpcId=vpc)

    def test_default_group_cannot_be_deleted(self):
        vpc = self.vpc()
        g = self.ok("DescribeSecurityGroups", Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])
        self.fails("DeleteSecurityGroup", "CannotDelete",
                   GroupId=g["SecurityGroups"][0]["GroupId"])


class SecurityGroupTest(SimTest):
    def test_rules(self):
        vpc = self.vpc()
        self.fails("CreateSecurityGroup", "InvalidGroup.Reserved", GroupName="default",
                   Description="x", VpcId=vpc)
        gid = self.ok("CreateSecurityGroup", GroupName="web", Description="web tier",
                      VpcId=vpc, TagSpecifications=[{"ResourceType": "security-group",
                                                     "Tags": [{"Key": "k", "Value": "v"}]}])["GroupId"]
        self.fails("CreateSecurityGroup", "InvalidGroup.Duplicate", GroupName="web",
                   Description="again", VpcId=vpc)
        perm = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                "IpRanges": [{"CidrIp": "127.0.0.1/32", "Description": "ssh from me"}]}
        r = self.ok("AuthorizeSecurityGroupIngress", GroupId=gid, IpPermissions=[perm])
        self.assertTrue(r["Return"])
        self.assertTrue(r["SecurityGroupRules"][0]["SecurityGroupRuleId"].startswith("sgr-"))
        self.fails("AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate",
                   GroupId=gid, IpPermissions=[perm])
        self.fails("AuthorizeSecurityGroupIngress", "InvalidParameterValue", GroupId=gid,
                   IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 70,
                                   "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.fails("AuthorizeSecurityGroupIngress", "InvalidParameterValue", GroupId=gid,
                   IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                   "IpRanges": [{"CidrIp": "1.2.3.4/33"}]}])
        self.ok("AuthorizeSecurityGroupIngress", GroupId=gid, IpProtocol="tcp",
                FromPort=443, ToPort=443, CidrIp="0.0.0.0/0")
        g = self.ok("DescribeSecurityGroups", GroupIds=[gid])["SecurityGroups"][0]
        self.assertEqual(len(g["IpPermissions"]), 2)
        self.assertEqual(g["IpPermissions"][0]["IpRanges"][0]["Description"], "ssh from me")
        self.assertEqual(g["Tags"], [{"Key": "k", "Value": "v"}])
        # egress: the default allow-all can be revoked once, then not found
        allout = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        self.fails("AuthorizeSecurityGroupEgress", "InvalidPermission.Duplicate",
                   GroupId=gid, IpPermissions=[allout])
        self.ok("RevokeSecurityGroupEgress", GroupId=gid, IpPermissions=[allout])
        self.fails("RevokeSecurityGroupEgress", "InvalidPermission.NotFound",
                   GroupId=gid, IpPermissions=[allout])
        # in the default VPC an unknown rule is no error, it is reported
        dgid = self.ok("CreateSecurityGroup", GroupName="indefault",
                       Description="d")["GroupId"]
        r = self.ok("RevokeSecurityGroupIngress", GroupId=dgid, IpPermissions=[perm])
        self.assertFalse(r["Return"])
        self.assertEqual(r["UnknownIpPermissions"][0]["IpRanges"][0]["CidrIp"], "127.0.0.1/32")
        got = self.ok("DescribeSecurityGroups", Filters=[
            {"Name": "ip-permission.from-port", "Values": ["22"]}])["SecurityGroups"]
        self.assertEqual([x["GroupId"] for x in got], [gid])
        self.ok("RevokeSecurityGroupIngress", GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}])
        g = self.ok("DescribeSecurityGroups", GroupIds=[gid])["SecurityGroups"][0]
        self.assertEqual(len(g["IpPermissions"]), 1)


class KeyPairTest(SimTest):
    def test_import_describe_delete(self):
        pub, sha, _ = ssh_pubkey("ed25519")
        r = self.ok("ImportKeyPair", KeyName="deploy", PublicKeyMaterial=pub.encode())
        # AWS: base64 SHA-256 of the key blob, with padding
        self.assertEqual(r["KeyFingerprint"], sha[len("SHA256:"):] + "=")
        self.assertTrue(r["KeyPairId"].startswith("key-"))
        self.fails("ImportKeyPair", "InvalidKeyPair.Duplicate", KeyName="deploy",
                   PublicKeyMaterial=pub.encode())
        self.fails("ImportKeyPair", "InvalidKey.Format", KeyName="bad",
                   PublicKeyMaterial=b"ssh-ed25519 AAAAnotakey")
        ecdsa, _, _ = ssh_pubkey("ecdsa")
        self.fails("ImportKeyPair", "InvalidKey.Format", KeyName="ec",
                   PublicKeyMaterial=ecdsa.encode())
        rsa, _, md5 = ssh_pubkey("rsa")
        r = self.ok("ImportKeyPair", KeyName="rsa", PublicKeyMaterial=rsa.encode())
        self.assertEqual(r["KeyFingerprint"], md5)
        ks = self.ok("DescribeKeyPairs", KeyNames=["deploy"], IncludePublicKey=True)["KeyPairs"]
        self.assertEqual(ks[0]["KeyType"], "ed25519")
        self.assertEqual(ks[0]["PublicKey"].split()[:2], pub.split()[:2])
        ks = self.ok("DescribeKeyPairs", Filters=[{"Name": "key-name", "Values": ["r*"]}])
        self.assertEqual([k["KeyName"] for k in ks["KeyPairs"]], ["rsa"])
        self.ok("DeleteKeyPair", KeyName="deploy")
        self.ok("DeleteKeyPair", KeyName="deploy")  # AWS: deleting a missing name succeeds
        self.fails("DescribeKeyPairs", "InvalidKeyPair.NotFound", KeyNames=["deploy"])

    def test_create_key_pair(self):
        r = self.ok("CreateKeyPair", KeyName="made", KeyType="ed25519")
        self.assertIn("BEGIN OPENSSH PRIVATE KEY", r["KeyMaterial"])
        r = self.ok("CreateKeyPair", KeyName="made-rsa")
        self.assertIn("BEGIN RSA PRIVATE KEY", r["KeyMaterial"])
        self.assertEqual(len(r["KeyFingerprint"].split(":")), 20)
        self.fails("CreateKeyPair", "InvalidKeyPair.Duplicate", KeyName="made")
        self.assertEqual(base64.b64decode(base64.b64encode(b"x")), b"x")


class MoreRoutesAndRulesTest(SimTest):
    def test_replace_main_association_and_rule_ids(self):
        vpc = self.vpc()
        main = self.ok("DescribeRouteTables", Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
        assoc = main["Associations"][0]["RouteTableAssociationId"]
        new = self.ok("CreateRouteTable", VpcId=vpc)["RouteTable"]["RouteTableId"]
        r = self.ok("ReplaceRouteTableAssociation", AssociationId=assoc, RouteTableId=new)
        got = self.ok("DescribeRouteTables", Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
        self.assertEqual([t["RouteTableId"] for t in got], [new])
        self.assertEqual(got[0]["Associations"][0]["RouteTableAssociationId"],
                         r["NewAssociationId"])
        # the old main table is now an ordinary one and may go
        self.ok("DeleteRouteTable", RouteTableId=main["RouteTableId"])
        self.fails("DeleteRouteTable", "DependencyViolation", RouteTableId=new)
        gid = self.ok("CreateSecurityGroup", GroupName="r", Description="r", VpcId=vpc)["GroupId"]
        added = self.ok("AuthorizeSecurityGroupIngress", GroupId=gid, IpPermissions=[
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
             "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.168.0.0/16"}]}])
        ids = [x["SecurityGroupRuleId"] for x in added["SecurityGroupRules"]]
        self.assertEqual(len(ids), 2)
        rules = self.ok("DescribeSecurityGroupRules", Filters=[
            {"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
        self.assertEqual(len(rules), 3)   # two ingress, the default egress
        self.ok("RevokeSecurityGroupIngress", GroupId=gid, SecurityGroupRuleIds=[ids[0]])
        self.fails("RevokeSecurityGroupIngress", "InvalidSecurityGroupRuleId.NotFound",
                   GroupId=gid, SecurityGroupRuleIds=[ids[0]])
        g = self.ok("DescribeSecurityGroups", GroupIds=[gid])["SecurityGroups"][0]
        self.assertEqual([r["CidrIp"] for r in g["IpPermissions"][0]["IpRanges"]],
                         ["192.168.0.0/16"])

    def test_key_pair_by_id_and_reassociation(self):
        from test_network import ssh_pubkey
        pub, _, _ = ssh_pubkey("ed25519")
        kid = self.ok("ImportKeyPair", KeyName="k", PublicKeyMaterial=pub.encode())["KeyPairId"]
        self.assertEqual(self.ok("DescribeKeyPairs", KeyPairIds=[kid])["KeyPairs"][0]["KeyName"], "k")
        self.ok("DeleteKeyPair", KeyPairId=kid)
        self.fails("DeleteKeyPair", "InvalidKeyPair.NotFound", KeyPairId=kid)
        vpc = self.vpc()
        igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        sub = self.subnet(vpc)
        a = self.launch(sub)
        b = self.launch(sub)
        self.sim.wait_state(a, "running")
        ib = self.sim.wait_state(b, "running")
        alloc = self.ok("AllocateAddress")["AllocationId"]
        self.ok("AssociateAddress", AllocationId=alloc, InstanceId=a)
        self.fails("AssociateAddress", "Resource.AlreadyAssociated", AllocationId=alloc,
                   InstanceId=b)
        eni = ib["NetworkInterfaces"][0]["NetworkInterfaceId"]
        self.ok("AssociateAddress", AllocationId=alloc, NetworkInterfaceId=eni,
                AllowReassociation=True)
        d = self.ok("DescribeAddresses", Filters=[
            {"Name": "allocation-id", "Values": [alloc]}])["Addresses"][0]
        self.assertEqual(d["InstanceId"], b)
        ia = self.ok("DescribeInstances", InstanceIds=[a])["Reservations"][0]["Instances"][0]
        self.assertNotEqual(ia.get("PublicIpAddress"), d["PublicIp"])
