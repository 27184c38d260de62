"""Canonical's Ubuntu AMIs as the simulator publishes them.

Names, descriptions, owner, root device and block device mappings follow
Canonical's real scheme: jammy under ubuntu/images/hvm-ssd/ (gp2 root),
noble under ubuntu/images/hvm-ssd-gp3/ (gp3 root), owner 099720109477,
root device /dev/sda1, several build dates per release and architecture.
Image and snapshot ids are derived from the name and region, so they are
stable per region like real AMI ids (and differ between regions). Each image
is deprecated two years after its build, as Canonical's are; DescribeImages
leaves deprecated images out unless IncludeDeprecated or ImageIds is given.
"""

import datetime
import hashlib

CANONICAL = "099720109477"

_RELEASES = [
    # codename, version, path, root volume type, build dates
    ("jammy", "22.04", "hvm-ssd", "gp2",
     ["20240207", "20240927", "20250115", "20250612", "20260115", "20260710",
      "20261002"]),
    ("noble", "24.04", "hvm-ssd-gp3", "gp3",
     ["20240423", "20241004", "20250110", "20250801", "20260212", "20260805",
      "20261015"]),
]

_ARCH = {"amd64": "x86_64", "arm64": "arm64"}


def _hex(seed, n=17):
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def ubuntu_images(region):
    images = []
    for codename, version, path, vtype, dates in _RELEASES:
        for deb_arch, arch in _ARCH.items():
            for date in dates:
                name = (f"ubuntu/images/{path}/ubuntu-{codename}-{version}-"
                        f"{deb_arch}-server-{date}")
                when = datetime.datetime.strptime(date, "%Y%m%d").replace(
                    hour=6, minute=12, tzinfo=datetime.timezone.utc)
                dep = when.replace(year=when.year + 2)
                snap = "snap-" + _hex(region + name + "snap")
                images.append({
                    "ImageId": "ami-" + _hex(region + name),
                    "ImageLocation": f"amazon/{name}",
                    "Name": name,
                    "Description": (f"Canonical, Ubuntu, {version} LTS, "
                                    f"{deb_arch} {codename} image build on "
                                    f"{date[:4]}-{date[4:6]}-{date[6:]}"),
                    "OwnerId": CANONICAL,
                    "Public": True,
                    "State": "available",
                    "Architecture": arch,
                    "ImageType": "machine",
                    "CreationDate": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "DeprecationTime": dep.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "RootDeviceType": "ebs",
                    "RootDeviceName": "/dev/sda1",
                    "VirtualizationType": "hvm",
                    "Hypervisor": "xen",
                    "EnaSupport": True,
                    "SriovNetSupport": "simple",
                    "PlatformDetails": "Linux/UNIX",
                    "UsageOperation": "RunInstances",
                    "BlockDeviceMappings": [
                        {"DeviceName": "/dev/sda1",
                         "Ebs": {"DeleteOnTermination": True,
                                 "SnapshotId": snap,
                                 "VolumeSize": 8,
                                 "VolumeType": vtype,
                                 "Encrypted": False}},
                        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
                        {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral1"},
                    ],
                    "_codename": codename,
                })
    return images
