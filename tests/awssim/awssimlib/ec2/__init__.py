"""EC2 state and rules for the AWS simulator, one module per resource family.

`Sim` is composed of one mixin per family over SimCore (core.py: regions,
ids, get/select, filters, paging, tag specifications, eventual consistency,
tick, dump). server.py dispatches an action to the `op_<Action>` method it
finds on Sim, so a handler is found wherever its mixin defines it:

  network.py          VPCs, subnets, internet gateways, route tables
  security_groups.py  security groups and rules
  keys_images.py      key pairs, DescribeImages
  instances.py        RunInstances, the instance state machine, console,
                      metadata options
  attributes.py       Describe/ModifyInstanceAttribute
  volumes.py          block device mappings, EBS volumes (create, attach,
                      detach, delete, modify) and their data directories
  snapshots.py        EBS snapshots and the data they copy
  addresses.py        Elastic IPs
  profiles.py         IAM instance profile associations (profiles from iam.py)
  account.py          tags on every type, zones, regions, account attributes

A new resource family is a new module with its mixin added below; its id
prefix goes in core.KINDS (and RESOURCE_TYPES if it is taggable), its
collection in core.Region. Another AWS service is a sibling of this package
(like ../sts.py), not a mixin here.
"""

from .account import AccountOps
from .addresses import AddressOps
from .attributes import AttributeOps
from .core import SimCore
from .instances import InstanceOps
from .keys_images import KeyImageOps, generate_key, parse_public_key
from .network import NetworkOps
from .profiles import ProfileOps
from .security_groups import SecurityGroupOps
from .snapshots import SnapshotOps
from .volumes import VolumeOps

__all__ = ["Sim", "generate_key", "parse_public_key"]


class Sim(NetworkOps, SecurityGroupOps, KeyImageOps, InstanceOps,
          AttributeOps, VolumeOps, SnapshotOps, AddressOps, ProfileOps,
          AccountOps, SimCore):
    """All EC2 state of one simulator process."""
