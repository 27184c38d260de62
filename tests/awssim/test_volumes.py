"""EBS volumes, attachments, snapshots, their data directories, and the
instance attributes a volume or a type change needs."""

import os
import time

from simclient import SimTest

AZ = "us-east-2a"


class VolumeBase(SimTest):
    SIM_ARGS = SimTest.SIM_ARGS + ("--volume-seconds", "0.2",
                                   "--snapshot-seconds", "0.6")

    def setUp(self):
        super().setUp()
        self.sub = self.subnet(self.vpc(), az=AZ)

    def volume(self, **kw):
        params = dict(AvailabilityZone=AZ, Size=10)
        params.update(kw)
        return self.ok("CreateVolume", **params)["VolumeId"]

    def describe(self, vid):
        return self.ok("DescribeVolumes", VolumeIds=[vid])["Volumes"][0]

    def wait_volume(self, vid, state, attachment=None, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = self.describe(vid)
            att = v["Attachments"][0]["State"] if v["Attachments"] else None
            if v["State"] == state and att == attachment:
                return v
            time.sleep(0.05)
        self.fail(f"{vid} did not reach {state}/{attachment}: {v}")

    def wait_gone(self, vid, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.sim.call("DescribeVolumes", {"VolumeIds": [vid]})
            if r.code == "InvalidVolume.NotFound":
                return
            self.assertEqual(r.status, 200, r.raw)
            self.assertEqual(r.parsed["Volumes"][0]["State"], "deleting")
            time.sleep(0.05)
        self.fail(f"{vid} was not deleted")

    def wait_snapshot(self, sid, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.ok("DescribeSnapshots", SnapshotIds=[sid])["Snapshots"][0]
            if s["State"] == "completed":
                return s
            self.assertEqual(s["State"], "pending")
            time.sleep(0.05)
        self.fail(f"{sid} did not complete")

    def running(self, **kw):
        iid = self.launch(self.sub, **kw)
        self.sim.wait_state(iid, "running")
        return iid

    def state(self):
        status, data = self.sim.control("GET", "state")
        self.assertEqual(status, 200)
        return data["us-east-2"]

    def data_dir(self, vid):
        return next(v["DataDir"] for v in self.state()["volumes"] if v["VolumeId"] == vid)


class VolumeTest(VolumeBase):
    def test_create_describe_delete(self):
        r = self.ok("CreateVolume", AvailabilityZone=AZ, Size=20, VolumeType="gp3",
                    Encrypted=True, TagSpecifications=[{"ResourceType": "volume", "Tags": [
                        {"Key": "Name", "Value": "data"}]}])
        vid = r["VolumeId"]
        self.assertEqual((r["State"], r["Size"], r["VolumeType"], r["Iops"],
                          r["Throughput"], r["Encrypted"], r["SnapshotId"]),
                         ("creating", 20, "gp3", 3000, 125, True, ""))
        self.assertTrue(r["KmsKeyId"].startswith("arn:aws:kms:us-east-2:"))
        v = self.wait_volume(vid, "available")
        self.assertEqual(v["Tags"], [{"Key": "Name", "Value": "data"}])
        self.assertEqual(v["Attachments"], [])
        # a default gp2, and the filters a client looks it up with
        other = self.volume(AvailabilityZone="us-east-2b")
        self.assertEqual(self.describe(other)["VolumeType"], "gp2")

        def ids(*filters):
            return [x["VolumeId"] for x in self.ok("DescribeVolumes", Filters=[
                {"Name": n, "Values": vals} for n, vals in filters])["Volumes"]]
        self.assertEqual(ids(("tag:Name", ["data"])), [vid])
        self.assertEqual(ids(("tag:Name", ["d*"]), ("status", ["available"])), [vid])
        self.assertEqual(ids(("availability-zone", ["us-east-2b"])), [other])
        self.assertEqual(ids(("volume-id", [vid, other]), ("encrypted", ["false"])), [other])
        self.assertEqual(ids(("attachment.instance-id", ["i-0123456789abcdef0"])), [])
        self.ok("DeleteVolume", VolumeId=vid)
        self.wait_gone(vid)
        self.fails("DeleteVolume", "InvalidVolume.NotFound", VolumeId=vid)
        self.fails("DescribeVolumes", "InvalidVolumeID.Malformed", VolumeIds=["vol-x"])

    def test_create_validation(self):
        bad = [("InvalidZone.NotFound", dict(AvailabilityZone="us-east-2z", Size=1)),
               ("MissingParameter", dict(AvailabilityZone=AZ)),
               ("InvalidParameterDependency", dict(AvailabilityZone=AZ, Size=1,
                                                   KmsKeyId="alias/x")),
               ("InvalidParameterCombination", dict(AvailabilityZone=AZ, Size=10,
                                                    VolumeType="io2")),
               ("InvalidParameterCombination", dict(AvailabilityZone=AZ, Size=10,
                                                    VolumeType="gp2", Iops=3000)),
               ("InvalidParameterValue", dict(AvailabilityZone=AZ, Size=20000)),
               ("InvalidParameterValue", dict(AvailabilityZone=AZ, Size=10,
                                              VolumeType="st1")),
               ("InvalidSnapshotID.Malformed", dict(AvailabilityZone=AZ, SnapshotId="snap-1")),
               ("InvalidSnapshot.NotFound", dict(AvailabilityZone=AZ,
                                                 SnapshotId="snap-0123456789abcdef0")),
               ("InvalidParameterValue", dict(AvailabilityZone=AZ, Size=1, TagSpecifications=[
                   {"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}])),
               ("DryRunOperation", dict(AvailabilityZone=AZ, Size=1, DryRun=True))]
        for code, params in bad:
            self.fails("CreateVolume", code, **params)
        self.assertEqual(self.ok("DescribeVolumes")["Volumes"], [])
        # the root snapshot of a public image is a source too
        img = self.ok("DescribeImages", ImageIds=[self.image()])["Images"][0]
        snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
        self.fails("CreateVolume", "InvalidParameterValue", AvailabilityZone=AZ,
                   SnapshotId=snap, Size=4)
        v = self.ok("CreateVolume", AvailabilityZone=AZ, SnapshotId=snap)
        self.assertEqual((v["Size"], v["SnapshotId"]), (8, snap))

    def test_client_token(self):
        params = dict(AvailabilityZone=AZ, Size=10, ClientToken="tok-1")
        a = self.ok("CreateVolume", **params)
        b = self.ok("CreateVolume", **params)
        self.assertEqual(a["VolumeId"], b["VolumeId"])
        self.fails("CreateVolume", "IdempotentParameterMismatch",
                   **dict(params, Size=11))
        self.assertEqual(len(self.ok("DescribeVolumes")["Volumes"]), 1)
        # a lost response: the retry with the token gets the same volume
        self.sim.control("POST", "faults", {"script": [
            {"action": "CreateVolume", "code": "InternalError", "status": 500,
             "after": True}]})
        r = self.sim.call("CreateVolume", dict(params, ClientToken="tok-2"))
        self.assertEqual(r.status, 500)
        c = self.ok("CreateVolume", **dict(params, ClientToken="tok-2"))
        vols = self.ok("DescribeVolumes")["Volumes"]
        self.assertEqual(sorted(v["VolumeId"] for v in vols),
                         sorted({a["VolumeId"], c["VolumeId"]}))
        self.fails("CreateVolume", "InvalidParameterValue",
                   **dict(params, ClientToken="x" * 65))

    def test_attach_detach(self):
        iid = self.launch(self.sub)
        vid = self.volume()
        self.fails("AttachVolume", "IncorrectState", VolumeId=vid, InstanceId=iid,
                   Device="/dev/sdf")      # still creating
        self.wait_volume(vid, "available")
        self.fails("AttachVolume", "IncorrectState", VolumeId=vid, InstanceId=iid,
                   Device="/dev/sdf")      # the instance is pending
        self.sim.wait_state(iid, "running")
        for dev in ("/dev/nvme1n1", "sdf/../../x", "/dev/sd"):
            self.fails("AttachVolume", "InvalidParameterValue", VolumeId=vid,
                       InstanceId=iid, Device=dev)
        self.fails("AttachVolume", "InvalidParameterValue", VolumeId=vid,
                   InstanceId=iid, Device="/dev/sda1")   # the root's place
        far = self.volume(AvailabilityZone="us-east-2b")
        self.wait_volume(far, "available")
        self.fails("AttachVolume", "InvalidVolume.ZoneMismatch", VolumeId=far,
                   InstanceId=iid, Device="/dev/sdg")
        self.fails("AttachVolume", "InvalidInstanceID.NotFound", VolumeId=vid,
                   InstanceId="i-0123456789abcdef0", Device="/dev/sdf")
        a = self.ok("AttachVolume", VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
        self.assertEqual((a["State"], a["InstanceId"], a["Device"]),
                         ("attaching", iid, "/dev/sdf"))
        v = self.describe(vid)
        self.assertEqual((v["State"], v["Attachments"][0]["State"]), ("in-use", "attaching"))
        v = self.wait_volume(vid, "in-use", "attached")
        self.assertFalse(v["Attachments"][0]["DeleteOnTermination"])
        inst = self.sim.wait_state(iid, "running")
        bdm = {b["DeviceName"]: b["Ebs"] for b in inst["BlockDeviceMappings"]}
        self.assertEqual(sorted(bdm), ["/dev/sda1", "/dev/sdf"])
        self.assertEqual((bdm["/dev/sdf"]["VolumeId"], bdm["/dev/sdf"]["Status"],
                          bdm["/dev/sdf"]["DeleteOnTermination"]), (vid, "attached", False))
        found = self.ok("DescribeVolumes", Filters=[
            {"Name": "attachment.instance-id", "Values": [iid]},
            {"Name": "attachment.device", "Values": ["/dev/sdf"]}])["Volumes"]
        self.assertEqual([x["VolumeId"] for x in found], [vid])
        self.fails("AttachVolume", "VolumeInUse", VolumeId=vid, InstanceId=iid,
                   Device="/dev/sdh")
        second = self.volume()
        self.wait_volume(second, "available")
        self.fails("AttachVolume", "InvalidParameterValue", VolumeId=second,
                   InstanceId=iid, Device="sdf")    # the same attachment point
        self.fails("DeleteVolume", "VolumeInUse", VolumeId=vid)
        root = bdm["/dev/sda1"]["VolumeId"]
        self.fails("DetachVolume", "IncorrectState", VolumeId=root)
        other = self.launch(self.sub)
        self.fails("DetachVolume", "InvalidAttachment.NotFound", VolumeId=vid,
                   InstanceId=other)
        self.fails("DetachVolume", "InvalidAttachment.NotFound", VolumeId=vid,
                   Device="/dev/sdz")
        d = self.ok("DetachVolume", VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
        self.assertEqual(d["State"], "detaching")
        self.assertEqual(self.ok("DetachVolume", VolumeId=vid, Force=True)["State"],
                         "detaching")
        self.wait_volume(vid, "available")
        self.fails("DetachVolume", "IncorrectState", VolumeId=vid)
        inst = self.sim.wait_state(iid, "running")
        self.assertEqual([b["DeviceName"] for b in inst["BlockDeviceMappings"]],
                         ["/dev/sda1"])
        # the freed attachment point takes another volume
        self.ok("AttachVolume", VolumeId=second, InstanceId=iid, Device="/dev/sdf")

    def test_stopped_instance(self):
        iid = self.running()
        vid = self.volume()
        self.wait_volume(vid, "available")
        self.ok("StopInstances", InstanceIds=[iid])
        self.fails("AttachVolume", "IncorrectState", VolumeId=vid, InstanceId=iid,
                   Device="/dev/sdf")      # stopping
        inst = self.sim.wait_state(iid, "stopped")
        self.ok("AttachVolume", VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
        self.wait_volume(vid, "in-use", "attached")
        # a stopped instance's root volume can be detached, and put back
        root = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.ok("DetachVolume", VolumeId=root)
        self.wait_volume(root, "available")
        self.fails("StartInstances", "InvalidParameterValue", InstanceIds=[iid])
        self.ok("AttachVolume", VolumeId=root, InstanceId=iid, Device="/dev/sda1")
        self.wait_volume(root, "in-use", "attached")
        self.ok("StartInstances", InstanceIds=[iid])
        inst = self.sim.wait_state(iid, "running")
        self.assertEqual(sorted(b["DeviceName"] for b in inst["BlockDeviceMappings"]),
                         ["/dev/sda1", "/dev/sdf"])
        self.assertEqual(self.describe(vid)["State"], "in-use")   # a stop keeps volumes

    def test_terminate_detaches_or_deletes(self):
        iid = self.running(BlockDeviceMappings=[
            {"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 5}}])
        inst = self.sim.wait_state(iid, "running")
        bdm = {b["DeviceName"]: b["Ebs"]["VolumeId"] for b in inst["BlockDeviceMappings"]}
        data, kept = self.volume(), self.volume()
        for v in (data, kept):
            self.wait_volume(v, "available")
        self.ok("AttachVolume", VolumeId=data, InstanceId=iid, Device="/dev/sdf")
        self.ok("AttachVolume", VolumeId=kept, InstanceId=iid, Device="/dev/sdg")
        self.wait_volume(data, "in-use", "attached")
        self.wait_volume(kept, "in-use", "attached")
        # DeleteOnTermination per device; the launch-time /dev/sdb stays kept
        self.ok("ModifyInstanceAttribute", InstanceId=iid, BlockDeviceMappings=[
            {"DeviceName": "/dev/sdf", "Ebs": {"DeleteOnTermination": True}}])
        self.ok("ModifyInstanceAttribute", InstanceId=iid, BlockDeviceMappings=[
            {"DeviceName": "/dev/sdb", "Ebs": {"DeleteOnTermination": False,
                                               "VolumeId": bdm["/dev/sdb"]}}])
        self.fails("ModifyInstanceAttribute", "InvalidInstanceAttributeValue",
                   InstanceId=iid, BlockDeviceMappings=[
                       {"DeviceName": "/dev/sdq", "Ebs": {"DeleteOnTermination": True}}])
        self.fails("ModifyInstanceAttribute", "InvalidInstanceAttributeValue",
                   InstanceId=iid, BlockDeviceMappings=[
                       {"DeviceName": "/dev/sdf", "Ebs": {"VolumeId": kept}}])
        att = self.ok("DescribeInstanceAttribute", InstanceId=iid,
                      Attribute="blockDeviceMapping")["BlockDeviceMappings"]
        dots = {b["DeviceName"]: b["Ebs"]["DeleteOnTermination"] for b in att}
        self.assertEqual(dots, {"/dev/sda1": True, "/dev/sdb": False,
                                "/dev/sdf": True, "/dev/sdg": False})
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")
        for vid in (bdm["/dev/sda1"], data):
            self.fails("DescribeVolumes", "InvalidVolume.NotFound", VolumeIds=[vid])
        for vid in (bdm["/dev/sdb"], kept):
            v = self.describe(vid)
            self.assertEqual((v["State"], v["Attachments"]), ("available", []))
        # a kept volume goes on to the next instance
        nxt = self.running()
        self.ok("AttachVolume", VolumeId=kept, InstanceId=nxt, Device="/dev/sdg")
        self.wait_volume(kept, "in-use", "attached")


class InstanceTypeTest(VolumeBase):
    def test_type_change_needs_a_stopped_instance(self):
        iid = self.running()
        self.fails("ModifyInstanceAttribute", "IncorrectInstanceState", InstanceId=iid,
                   InstanceType={"Value": "t3.large"})
        self.fails("ModifyInstanceAttribute", "InvalidParameterCombination",
                   InstanceId=iid)
        self.fails("ModifyInstanceAttribute", "InvalidParameterCombination",
                   InstanceId=iid, InstanceType={"Value": "t3.large"},
                   DisableApiTermination={"Value": True})
        self.ok("StopInstances", InstanceIds=[iid])
        self.fails("ModifyInstanceAttribute", "IncorrectInstanceState", InstanceId=iid,
                   InstanceType={"Value": "t3.large"})     # stopping is not stopped
        self.sim.wait_state(iid, "stopped")
        for bad in ("large", "T3.LARGE", "t4g.large"):     # the last: arm64 on amd64
            self.fails("ModifyInstanceAttribute", "InvalidInstanceAttributeValue",
                       InstanceId=iid, InstanceType={"Value": bad})
        self.ok("ModifyInstanceAttribute", InstanceId=iid, InstanceType={"Value": "t3.large"})
        self.assertEqual(self.sim.wait_state(iid, "stopped")["InstanceType"], "t3.large")
        # the CLI's --attribute instanceType --value form
        self.ok("ModifyInstanceAttribute", InstanceId=iid, Attribute="instanceType",
                Value="m5.xlarge")
        self.assertEqual(self.ok("DescribeInstanceAttribute", InstanceId=iid,
                                 Attribute="instanceType")["InstanceType"]["Value"],
                         "m5.xlarge")
        self.fails("ModifyInstanceAttribute", "MissingParameter", InstanceId=iid,
                   Attribute="instanceType")
        self.ok("StartInstances", InstanceIds=[iid])
        inst = self.sim.wait_state(iid, "running")
        self.assertEqual(inst["InstanceType"], "m5.xlarge")
        found = self.ok("DescribeInstances", Filters=[
            {"Name": "instance-type", "Values": ["m5.xlarge"]}])["Reservations"]
        self.assertEqual([i["InstanceId"] for r in found for i in r["Instances"]], [iid])

    def test_other_attributes(self):
        iid = self.running()
        self.ok("ModifyInstanceAttribute", InstanceId=iid,
                DisableApiTermination={"Value": True})
        self.fails("TerminateInstances", "OperationNotPermitted", InstanceIds=[iid])
        self.ok("ModifyInstanceAttribute", InstanceId=iid, Attribute="disableApiTermination",
                Value="false")
        self.ok("ModifyInstanceAttribute", InstanceId=iid,
                InstanceInitiatedShutdownBehavior={"Value": "terminate"})
        self.assertEqual(self.ok("DescribeInstanceAttribute", InstanceId=iid,
                                 Attribute="instanceInitiatedShutdownBehavior")
                         ["InstanceInitiatedShutdownBehavior"]["Value"], "terminate")
        self.fails("ModifyInstanceAttribute", "IncorrectInstanceState", InstanceId=iid,
                   UserData={"Value": b"#!/bin/sh\n"})
        sg = self.ok("CreateSecurityGroup", GroupName="g", Description="g",
                     VpcId=self.sim.wait_state(iid, "running")["VpcId"])["GroupId"]
        self.ok("ModifyInstanceAttribute", InstanceId=iid, Groups=[sg])
        self.assertEqual(self.sim.wait_state(iid, "running")["SecurityGroups"][0]["GroupId"], sg)
        self.fails("ModifyInstanceAttribute", "UnsupportedOperation", InstanceId=iid,
                   SourceDestCheck={"Value": False})
        self.ok("StopInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "stopped")
        self.ok("ModifyInstanceAttribute", InstanceId=iid, UserData={"Value": b"#!/bin/sh\n"})
        self.assertEqual(self.ok("DescribeInstanceAttribute", InstanceId=iid,
                                 Attribute="userData")["UserData"]["Value"], "IyEvYmluL3NoCg==")
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.fails("ModifyInstanceAttribute", "IncorrectInstanceState", InstanceId=iid,
                   DisableApiTermination={"Value": True})


class SnapshotTest(VolumeBase):
    def test_snapshot_lifecycle(self):
        vid = self.volume(Size=12, Encrypted=True)
        self.fails("CreateSnapshot", "IncorrectState", VolumeId=vid)   # creating
        self.wait_volume(vid, "available")
        s = self.ok("CreateSnapshot", VolumeId=vid, Description="before release 7",
                    TagSpecifications=[{"ResourceType": "snapshot", "Tags": [
                        {"Key": "stack", "Value": "demo"}]}])
        sid = s["SnapshotId"]
        self.assertEqual((s["State"], s["VolumeId"], s["VolumeSize"], s["Encrypted"],
                          s["OwnerId"], s["Description"]),
                         ("pending", vid, 12, True, "123456789012", "before release 7"))
        self.assertTrue(s["Progress"].endswith("%"))
        self.fails("CreateVolume", "IncorrectState", AvailabilityZone=AZ, SnapshotId=sid)
        listed = self.ok("DescribeSnapshots", OwnerIds=["self"])["Snapshots"]
        self.assertEqual([x["SnapshotId"] for x in listed], [sid])
        self.assertEqual(self.ok("DescribeSnapshots", OwnerIds=["amazon"])["Snapshots"], [])

        def ids(*filters):
            return [x["SnapshotId"] for x in self.ok("DescribeSnapshots", OwnerIds=["self"], Filters=[
                {"Name": n, "Values": vals} for n, vals in filters])["Snapshots"]]
        self.assertEqual(ids(("tag:stack", ["demo"]), ("volume-id", [vid])), [sid])
        self.assertEqual(ids(("status", ["completed"])), [])
        done = self.wait_snapshot(sid)
        self.assertEqual(done["Progress"], "100%")
        self.assertEqual(ids(("status", ["completed"])), [sid])
        self.assertEqual(self.ok("DescribeTags", Filters=[
            {"Name": "resource-type", "Values": ["snapshot"]}])["Tags"],
            [{"Key": "stack", "Value": "demo", "ResourceId": sid, "ResourceType": "snapshot"}])
        # a volume from it: at least its size, encrypted like it
        self.fails("CreateVolume", "InvalidParameterValue", AvailabilityZone=AZ,
                   SnapshotId=sid, Size=11)
        r = self.ok("CreateVolume", AvailabilityZone=AZ, SnapshotId=sid, Encrypted=False)
        self.assertEqual((r["Size"], r["SnapshotId"], r["Encrypted"], r["KmsKeyId"]),
                         (12, sid, True, self.describe(vid)["KmsKeyId"]))
        bigger = self.ok("CreateVolume", AvailabilityZone=AZ, SnapshotId=sid, Size=30)
        self.assertEqual(bigger["Size"], 30)
        found = self.ok("DescribeVolumes", Filters=[
            {"Name": "snapshot-id", "Values": [sid]}])["Volumes"]
        self.assertEqual(len(found), 2)
        # deleting the snapshot leaves the volumes made from it
        self.ok("DeleteSnapshot", SnapshotId=sid)
        self.fails("DescribeSnapshots", "InvalidSnapshot.NotFound", SnapshotIds=[sid])
        self.fails("DeleteSnapshot", "InvalidSnapshot.NotFound", SnapshotId=sid)
        self.fails("DeleteSnapshot", "InvalidSnapshotID.Malformed", SnapshotId="snap-")
        self.wait_volume(r["VolumeId"], "available")
        self.fails("CreateSnapshot", "InvalidVolume.NotFound",
                   VolumeId="vol-0123456789abcdef0")

    def test_snapshot_of_attached_volume_and_paging(self):
        iid = self.running()
        root = self.sim.wait_state(iid, "running")["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        sids = [self.ok("CreateSnapshot", VolumeId=root)["SnapshotId"] for _ in range(6)]
        first = self.ok("DescribeSnapshots", OwnerIds=["self"], MaxResults=5)
        self.assertEqual(len(first["Snapshots"]), 5)
        rest = self.ok("DescribeSnapshots", OwnerIds=["self"], MaxResults=5,
                       NextToken=first["NextToken"])
        self.assertEqual(sorted(x["SnapshotId"] for x in first["Snapshots"] + rest["Snapshots"]),
                         sorted(sids))
        self.assertNotIn("NextToken", rest)
        self.fails("DescribeSnapshots", "InvalidParameterCombination",
                   SnapshotIds=sids[:1], MaxResults=5)


class DataTest(VolumeBase):
    def test_data_follows_the_volume(self):
        vid = self.volume()
        path = self.data_dir(vid)
        self.assertTrue(path.endswith("/volumes/" + vid), path)
        self.assertEqual(os.listdir(path), [])
        os.makedirs(os.path.join(path, "pg", "base"))
        with open(os.path.join(path, "pg", "base", "users"), "w") as f:
            f.write("alice\n")
        os.chmod(os.path.join(path, "pg"), 0o700)
        os.symlink("base/users", os.path.join(path, "pg", "link"))
        self.wait_volume(vid, "available")
        sid = self.ok("CreateSnapshot", VolumeId=vid)["SnapshotId"]
        # the snapshot is the data at CreateSnapshot, not what comes after
        with open(os.path.join(path, "pg", "base", "users"), "a") as f:
            f.write("bob\n")
        snap_dir = next(s["DataDir"] for s in self.state()["snapshots"]
                        if s["SnapshotId"] == sid)
        with open(os.path.join(snap_dir, "pg", "base", "users")) as f:
            self.assertEqual(f.read(), "alice\n")
        self.wait_snapshot(sid)
        new = self.ok("CreateVolume", AvailabilityZone=AZ, SnapshotId=sid)["VolumeId"]
        new_dir = self.data_dir(new)
        with open(os.path.join(new_dir, "pg", "base", "users")) as f:
            self.assertEqual(f.read(), "alice\n")
        self.assertEqual(os.readlink(os.path.join(new_dir, "pg", "link")), "base/users")
        self.assertEqual(os.stat(os.path.join(new_dir, "pg")).st_mode & 0o777, 0o700)
        with open(os.path.join(path, "pg", "base", "users")) as f:
            self.assertEqual(f.read(), "alice\nbob\n")   # the source is untouched
        # deleting removes a volume's data, and a snapshot's
        self.wait_volume(new, "available")
        self.ok("DeleteVolume", VolumeId=new)
        self.wait_gone(new)
        self.assertFalse(os.path.exists(new_dir))
        self.ok("DeleteSnapshot", SnapshotId=sid)
        self.assertFalse(os.path.exists(snap_dir))

    def test_attached_volume_on_the_host(self):
        iid = self.running()
        inst = next(i for i in self.state()["instances"] if i["InstanceId"] == iid)
        dev_dir = inst["DeviceDir"]
        root = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.assertEqual(os.path.realpath(os.path.join(dev_dir, "sda1")),
                         os.path.realpath(self.data_dir(root)))
        vid = self.volume()
        self.wait_volume(vid, "available")
        self.ok("AttachVolume", VolumeId=vid, InstanceId=iid, Device="xvdf")
        self.wait_volume(vid, "in-use", "attached")
        dev = os.path.join(dev_dir, "xvdf")
        with open(os.path.join(dev, "planted"), "w") as f:
            f.write("kept\n")
        self.assertTrue(os.path.exists(os.path.join(self.data_dir(vid), "planted")))
        self.ok("DetachVolume", VolumeId=vid)
        self.wait_volume(vid, "available")
        self.assertFalse(os.path.lexists(dev))
        # on the next instance, at another device, the file is there
        other = self.running()
        self.ok("AttachVolume", VolumeId=vid, InstanceId=other, Device="/dev/sdh")
        self.wait_volume(vid, "in-use", "attached")
        other_dir = next(i["DeviceDir"] for i in self.state()["instances"]
                         if i["InstanceId"] == other)
        with open(os.path.join(other_dir, "sdh", "planted")) as f:
            self.assertEqual(f.read(), "kept\n")
        # terminating keeps the data volume's data and drops the root's
        root_dir = self.data_dir(root)
        self.ok("TerminateInstances", InstanceIds=[iid, other])
        self.sim.wait_state(other, "terminated")
        self.sim.wait_state(iid, "terminated")
        self.assertFalse(os.path.exists(root_dir))
        self.assertTrue(os.path.exists(os.path.join(self.data_dir(vid), "planted")))
        self.assertFalse(os.path.lexists(os.path.join(other_dir, "sdh")))

    def test_reset_removes_the_data(self):
        vid = self.volume()
        path = self.data_dir(vid)
        self.sim.control("POST", "reset")
        self.assertFalse(os.path.exists(path))


class VolumeConsistencyTest(VolumeBase):
    SIM_ARGS = VolumeBase.SIM_ARGS + ("--consistency-delay-ms", "60000",
                                      "--consistency-mutations", "--seed", "5")

    def setUp(self):
        SimTest.setUp(self)   # the default VPC's subnets: a new VPC stays unknown

    def test_fresh_volume_and_snapshot_unknown_for_a_while(self):
        # with a window of up to a minute, a fresh volume is almost surely
        # still unknown; whatever is unknown is so to every call
        vids = [self.ok("CreateVolume", AvailabilityZone=AZ, Size=1)["VolumeId"]
                for _ in range(3)]
        hidden = [v for v in vids if self.sim.call(
            "DescribeVolumes", {"VolumeIds": [v]}).code == "InvalidVolume.NotFound"]
        self.assertTrue(hidden)
        listed = {v["VolumeId"] for v in self.ok("DescribeVolumes")["Volumes"]}
        for v in hidden:
            self.assertNotIn(v, listed)
            self.fails("CreateSnapshot", "InvalidVolume.NotFound", VolumeId=v)
            self.fails("DeleteVolume", "InvalidVolume.NotFound", VolumeId=v)
            self.fails("CreateTags", "InvalidVolume.NotFound", Resources=[v],
                       Tags=[{"Key": "a", "Value": "b"}])
        # ClientToken answers the same volume even while it is unknown
        a = self.ok("CreateVolume", AvailabilityZone=AZ, Size=1, ClientToken="t")
        b = self.ok("CreateVolume", AvailabilityZone=AZ, Size=1, ClientToken="t")
        self.assertEqual(a["VolumeId"], b["VolumeId"])
