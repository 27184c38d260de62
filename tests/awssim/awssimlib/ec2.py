"""EC2 state and rules for the AWS simulator.

State is kept per region (the region comes from the request's credential
scope, as on AWS). Resources are plain dicts; `view_*` functions turn them
into the botocore output shapes, which protocol.encode_response serializes
strictly against the model. Every handler runs under one lock; time-driven
changes (boot, termination, eventual consistency) are computed from the
clock in `tick`, which a background thread and every request call.
"""

import base64
import binascii
import copy
import hashlib
import ipaddress
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time

from . import images as images_mod
from .hosts import Host, log
from .protocol import AwsError

VPC_LIMIT = 5
EIP_LIMIT = 5
INSTANCE_LIMIT = 20
SG_LIMIT_PER_VPC = 500
TERMINATE_SECONDS = 2.0

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32,
               "terminated": 48, "stopping": 64, "stopped": 80}

# prefix -> (NotFound code, Malformed code, message template)
KINDS = {
    "vpc": ("InvalidVpcID.NotFound", "InvalidVpcID.Malformed",
            "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed",
               "The subnet ID '{}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound",
            "InvalidInternetGatewayID.Malformed",
            "The internetGateway ID '{}' does not exist"),
    "rtb": ("InvalidRouteTableID.NotFound", "InvalidRouteTableID.Malformed",
            "The routeTable ID '{}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "InvalidGroupId.Malformed",
           "The security group '{}' does not exist"),
    "i": ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed",
          "The instance ID '{}' does not exist"),
    "vol": ("InvalidVolume.NotFound", "InvalidVolumeID.Malformed",
            "The volume '{}' does not exist."),
    "eipalloc": ("InvalidAllocationID.NotFound",
                 "InvalidAllocationID.Malformed",
                 "The allocation ID '{}' does not exist"),
    "ami": ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed",
            "The image id '[{}]' does not exist"),
    "key": ("InvalidKeyPair.NotFound", "InvalidKeyPairId.Malformed",
            "The key pair '{}' does not exist"),
    "eipassoc": ("InvalidAssociationID.NotFound",
                 "InvalidAssociationID.Malformed",
                 "The association ID '{}' does not exist"),
    "rtbassoc": ("InvalidAssociationID.NotFound",
                 "InvalidAssociationID.Malformed",
                 "The association ID '{}' does not exist"),
    "sgr": ("InvalidSecurityGroupRuleId.NotFound",
            "InvalidSecurityGroupRuleId.Malformed",
            "The security group rule ID '{}' does not exist"),
}

RESOURCE_TYPES = {
    "vpc": "vpc", "subnet": "subnet", "igw": "internet-gateway",
    "rtb": "route-table", "sg": "security-group", "i": "instance",
    "vol": "volume", "eipalloc": "elastic-ip", "key": "key-pair",
    "ami": "image", "eni": "network-interface",
}

DIRECTIONS = {"east": "e", "west": "w", "central": "c", "north": "n",
              "south": "s", "southeast": "se", "northeast": "ne",
              "southwest": "sw", "northwest": "nw"}

ARM_TYPE = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)\.")

PAGE_LIMITS = {"DescribeRouteTables": (5, 100), "DescribeVolumes": (5, 500),
               "DescribeImages": (1, 1000)}

TAG_RESOURCE_TYPES_RUN = {"instance", "volume", "network-interface",
                          "spot-instances-request", "elastic-gpu"}


def err(code, msg, status=400):
    return AwsError(code, msg, status)


def now():
    return time.time()


_WILDCARD_CACHE = {}


def wildcard(pattern, value):
    """EC2 filter matching: * and ? wildcards, backslash escapes them."""
    if value is None:
        return False
    rx = _WILDCARD_CACHE.get(pattern)
    if rx is None:
        out = []
        i = 0
        while i < len(pattern):
            c = pattern[i]
            if c == "\\" and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
            i += 1
        rx = re.compile("".join(out), re.S)
        _WILDCARD_CACHE[pattern] = rx
    return rx.fullmatch(str(value)) is not None


def zone_id_prefix(region):
    parts = region.split("-")
    return parts[0] + DIRECTIONS.get(parts[1], parts[1][0]) + parts[2]


def bool_s(v):
    return "true" if v else "false"


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()] or None


def check_tags(tags, where="Tag"):
    for t in tags:
        k = t.get("Key")
        if k is None:
            raise err("InvalidParameterValue",
                      f"Tag key must be specified ({where}).")
        if len(k) > 128 or len(k) == 0:
            raise err("InvalidParameterValue",
                      f"Tag key exceeds the maximum length of 128 characters: {k}")
        if k.lower().startswith("aws:"):
            raise err("InvalidParameterValue",
                      "Tag keys starting with 'aws:' are reserved for internal use")
        v = t.get("Value", "")
        if len(v) > 256:
            raise err("InvalidParameterValue",
                      f"Tag value exceeds the maximum length of 256 characters: {v[:20]}...")


class Region:
    def __init__(self, name, sim):
        self.name = name
        self.sim = sim
        self.vpcs = {}
        self.subnets = {}
        self.igws = {}
        self.rtbs = {}
        self.sgs = {}
        self.keypairs = {}      # by KeyPairId
        self.instances = {}
        self.volumes = {}
        self.addresses = {}     # by AllocationId
        self.reservations = {}
        self.client_tokens = {}  # token -> (fingerprint, reservation id)
        self.images = {im["ImageId"]: im for im in images_mod.ubuntu_images(name)}
        self.zones = [f"{name}{c}" for c in "abc"]
        self.zone_ids = {z: f"{zone_id_prefix(name)}-az{i + 1}"
                         for i, z in enumerate(self.zones)}

    def coll(self, prefix):
        return {"vpc": self.vpcs, "subnet": self.subnets, "igw": self.igws,
                "rtb": self.rtbs, "sg": self.sgs, "i": self.instances,
                "vol": self.volumes, "eipalloc": self.addresses,
                "key": self.keypairs, "ami": self.images}.get(prefix)


class Sim:
    """All EC2 state of one simulator process."""

    def __init__(self, opts, credentials):
        self.opts = opts
        self.creds = credentials
        self.account = opts.account_id
        self.lock = threading.RLock()
        clean_stale_hosts_dirs()
        self.hosts_dir = tempfile.mkdtemp(prefix=f"awssim-hosts-{os.getpid()}-")
        self.ip_counter = 1
        self.eip_counter = 0
        # Fault settings that imitate other EC2 implementations (see the
        # README's /_awssim/faults): a console that never shows the host
        # keys, key fingerprints in MD5 colon-hex.
        self.quiet_console = False
        self.md5_fingerprints = False
        self.reset()

    # ------------------------------------------------------------ lifecycle

    def reset(self):
        with self.lock:
            old = getattr(self, "regions", {})
            for reg in old.values():
                for inst in reg.instances.values():
                    host = inst.get("_host")
                    if host is not None:
                        host.destroy()
            seed = self.opts.seed
            self.id_rng = random.Random(seed)
            self.delay_rng = random.Random(None if seed is None else seed + 1)
            self.regions = {}
            self.pushed_keys = {}

    def shutdown(self):
        with self.lock:
            hosts = [inst.get("_host") for reg in self.regions.values()
                     for inst in reg.instances.values()]
        for h in hosts:
            if h is not None:
                h.destroy()
        shutil.rmtree(self.hosts_dir, ignore_errors=True)

    def region(self, name):
        reg = self.regions.get(name)
        if reg is None:
            reg = Region(name, self)
            self.regions[name] = reg
            if self.opts.default_vpc:
                self._make_default_vpc(reg)
        return reg

    def new_id(self, prefix, n=17):
        return f"{prefix}-{self.id_rng.getrandbits(4 * n):0{n}x}"

    def visible_at(self):
        d = self.opts.consistency_delay_ms
        if d <= 0:
            return 0.0
        return now() + self.delay_rng.uniform(0, d / 1000.0)

    # ------------------------------------------------------------ helpers

    def check_id(self, prefix, ident):
        nf, mal, _ = KINDS[prefix]
        if not re.fullmatch(rf"{prefix}-([0-9a-f]{{8}}|[0-9a-f]{{17}})", ident or ""):
            raise err(mal, f'Invalid id: "{ident}"')

    def not_found(self, prefix, ident):
        nf, _, msg = KINDS[prefix]
        return err(nf, msg.format(ident))

    def get(self, reg, prefix, ident):
        """A resource for mutation or reference (ignores Describe delay)."""
        self.check_id(prefix, ident)
        res = reg.coll(prefix).get(ident)
        if res is None or res.get("_deleted"):
            raise self.not_found(prefix, ident)
        if self.opts.consistency_mutations and res.get("_visible_at", 0) > now():
            # --consistency-mutations: a fresh resource is unknown to every
            # call for a while, as AWS can answer CreateTags or
            # AttachInternetGateway right after the create
            raise self.not_found(prefix, ident)
        return res

    def select(self, reg, prefix, ids, filters, fmap, extra_visible=None):
        coll = reg.coll(prefix)
        t = now()

        def visible(r):
            if r.get("_deleted"):
                return False
            if r.get("_visible_at", 0) > t:
                return False
            return extra_visible(r) if extra_visible else True

        if ids:
            out = []
            missing = []
            for i in ids:
                self.check_id(prefix, i)
                r = coll.get(i)
                if r is None or not visible(r):
                    missing.append(i)
                elif r not in out:
                    out.append(r)
            if missing:
                nf, _, msg = KINDS[prefix]
                raise err(nf, msg.format(", ".join(missing)))
        else:
            out = [r for r in coll.values() if visible(r)]
        return apply_filters(out, filters, fmap)

    def tags_of(self, res):
        return res.setdefault("_tags", {})

    def apply_tag_specs(self, specs, wanted, resources_by_type):
        """Apply TagSpecifications; `wanted`: allowed resource types."""
        for spec in specs or []:
            rtype = spec.get("ResourceType")
            if rtype is None:
                raise err("InvalidParameterValue",
                          "TagSpecification must specify a ResourceType")
            if rtype not in wanted:
                raise err("InvalidParameterValue",
                          f"'{rtype}' is not a valid taggable resource type for "
                          f"this operation.")
            check_tags(spec.get("Tags", []), "TagSpecification")
        for spec in specs or []:
            for res in resources_by_type.get(spec["ResourceType"], []):
                tags = self.tags_of(res)
                for t in spec.get("Tags", []):
                    tags[t["Key"]] = t.get("Value", "")
                if len(tags) > 50:
                    raise err("TagLimitExceeded",
                              "The maximum number of Tags for a resource has "
                              "been reached.")

    # ------------------------------------------------------------ time

    def tick(self):
        """Advance time-driven state (boot, termination, pushed keys)."""
        t = now()
        starts = []
        with self.lock:
            for reg in self.regions.values():
                for inst in reg.instances.values():
                    st = inst["_state"]
                    host = inst.get("_host")
                    if st == "pending" and t >= inst["_running_at"] and \
                            (host is None or host.ready.is_set()):
                        self._become_running(reg, inst)
                        if self.opts.ssh_instances and host is not None \
                                and host.error is None:
                            addrs = [inst["_public_ip"]]
                            a = reg.addresses.get(inst["_eip"]) if inst["_eip"] else None
                            if a is not None:
                                addrs.append(a["PublicIp"])
                            starts.extend((inst, ip) for ip in addrs if ip)
                    elif st == "shutting-down" and t >= inst["_terminated_at"]:
                        self._become_terminated(reg, inst)
                    elif st == "stopping" and t >= inst["_stopped_at"]:
                        self._become_stopped(reg, inst)
                    meta_at = inst.get("_metadata_pending_until")
                    if meta_at is not None and t >= meta_at:
                        inst["_metadata_pending_until"] = None
                    if host is not None:
                        host.expire_keys(t)
        for inst, ip in starts:
            threading.Thread(target=self._start_sshd, args=(inst, ip),
                             daemon=True).start()

    def _start_sshd(self, inst, ip):
        host = inst["_host"]
        if ip:
            host.start_sshd(ip, self.opts.ssh_port)

    # ------------------------------------------------------------ default VPC

    def _make_default_vpc(self, reg):
        vpc = self._create_vpc(reg, "172.31.0.0/16", "default", True)
        igw = self._create_igw(reg)
        igw["_vpc"] = vpc["VpcId"]
        main = self.main_rtb(reg, vpc["VpcId"])
        main["_routes"].append({"DestinationCidrBlock": "0.0.0.0/0",
                                "GatewayId": igw["InternetGatewayId"],
                                "Origin": "CreateRoute"})
        for i, z in enumerate(reg.zones):
            self._create_subnet(reg, vpc, f"172.31.{16 * i}.0/20", z,
                                default_for_az=True)
        for r in (vpc, igw, main, *reg.subnets.values()):
            r["_visible_at"] = 0

    # ================================================================ VPC

    def _create_vpc(self, reg, cidr, tenancy, is_default=False):
        vid = self.new_id("vpc")
        vpc = {
            "VpcId": vid, "CidrBlock": cidr, "State": "available",
            "InstanceTenancy": tenancy, "IsDefault": is_default,
            "DhcpOptionsId": "dopt-" + hashlib.sha256(reg.name.encode()).hexdigest()[:8],
            "_assoc": "vpc-cidr-assoc-" + self.new_id("x")[2:],
            "_dns_support": True, "_dns_hostnames": is_default,
            "_nau_metrics": False, "_visible_at": self.visible_at(),
            "_created": now(),
        }
        reg.vpcs[vid] = vpc
        rid = self.new_id("rtb")
        reg.rtbs[rid] = {
            "RouteTableId": rid, "VpcId": vid, "_main": True,
            "_routes": [{"DestinationCidrBlock": cidr, "GatewayId": "local",
                         "Origin": "CreateRouteTable"}],
            "_assocs": {"rtbassoc-" + self.new_id("x")[2:]: None},
            "_visible_at": vpc["_visible_at"], "_created": now(),
        }
        gid = self.new_id("sg")
        reg.sgs[gid] = {
            "GroupId": gid, "GroupName": "default", "VpcId": vid,
            "Description": "default VPC security group", "_default": True,
            "_ingress": [], "_egress": [], "_visible_at": vpc["_visible_at"],
            "_created": now(),
        }
        self._add_rule(reg.sgs[gid], False, "-1", None, None,
                       group_id=gid, desc=None)
        self._add_rule(reg.sgs[gid], True, "-1", None, None, cidr="0.0.0.0/0")
        return vpc

    def main_rtb(self, reg, vid):
        for r in reg.rtbs.values():
            if r["VpcId"] == vid and r.get("_main") and not r.get("_deleted"):
                return r
        return None

    def default_sg(self, reg, vid):
        for g in reg.sgs.values():
            if g["VpcId"] == vid and g.get("_default") and not g.get("_deleted"):
                return g
        return None

    def view_vpc(self, vpc):
        return {
            "VpcId": vpc["VpcId"], "CidrBlock": vpc["CidrBlock"],
            "State": vpc["State"], "DhcpOptionsId": vpc["DhcpOptionsId"],
            "OwnerId": self.account, "InstanceTenancy": vpc["InstanceTenancy"],
            "IsDefault": vpc["IsDefault"],
            "CidrBlockAssociationSet": [{
                "AssociationId": vpc["_assoc"], "CidrBlock": vpc["CidrBlock"],
                "CidrBlockState": {"State": "associated"}}],
            "Tags": tag_list(self.tags_of(vpc)),
        }

    def op_CreateVpc(self, ctx, p):
        reg = ctx.reg
        cidr = p.get("CidrBlock")
        if cidr is None:
            if "Ipv4IpamPoolId" in p:
                raise err("InvalidParameterValue",
                          "IPAM pools are not supported by this endpoint")
            raise err("MissingParameter",
                      "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
        net = parse_cidr(cidr, "cidrBlock")
        if not 16 <= net.prefixlen <= 28:
            raise err("InvalidVpc.Range", f"The CIDR '{cidr}' is invalid.")
        if "AmazonProvidedIpv6CidrBlock" in p and p["AmazonProvidedIpv6CidrBlock"]:
            raise err("InvalidParameterValue",
                      "IPv6 CIDR blocks are not supported by this endpoint")
        live = [v for v in reg.vpcs.values() if not v.get("_deleted")]
        if len(live) >= VPC_LIMIT:
            raise err("VpcLimitExceeded",
                      "The maximum number of VPCs has been reached.")
        tenancy = p.get("InstanceTenancy", "default")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"vpc"}, {})
        vpc = self._create_vpc(reg, str(net), tenancy)
        self.apply_tag_specs(specs, {"vpc"}, {"vpc": [vpc]})
        out = self.view_vpc(vpc)
        out["State"] = "pending"
        return {"Vpc": out}

    def op_DescribeVpcs(self, ctx, p):
        fm = {
            "vpc-id": lambda v: v["VpcId"],
            "cidr": lambda v: v["CidrBlock"],
            "cidr-block-association.cidr-block": lambda v: v["CidrBlock"],
            "cidr-block-association.association-id": lambda v: v["_assoc"],
            "cidr-block-association.state": lambda v: "associated",
            "state": lambda v: v["State"],
            "is-default": lambda v: bool_s(v["IsDefault"]),
            "owner-id": lambda v: self.account,
            "dhcp-options-id": lambda v: v["DhcpOptionsId"],
        }
        items = self.select(ctx.reg, "vpc", p.get("VpcIds"), p.get("Filters"), fm)
        page, token = paginate(ctx, items, p, "VpcIds")
        return {"Vpcs": [self.view_vpc(v) for v in page], "NextToken": token}

    def op_DeleteVpc(self, ctx, p):
        reg = ctx.reg
        vpc = self.get(reg, "vpc", p["VpcId"])
        vid = vpc["VpcId"]
        dep = (
            any(s["VpcId"] == vid for s in live(reg.subnets))
            or any(g.get("_vpc") == vid for g in live(reg.igws))
            or any(g["VpcId"] == vid and not g.get("_default") for g in live(reg.sgs))
            or any(r["VpcId"] == vid and not r.get("_main") for r in live(reg.rtbs))
            or any(i["VpcId"] == vid and i["_state"] != "terminated"
                   for i in reg.instances.values())
        )
        if dep:
            raise err("DependencyViolation",
                      f"The vpc '{vid}' has dependencies and cannot be deleted.")
        vpc["_deleted"] = True
        for coll in (reg.rtbs, reg.sgs):
            for r in coll.values():
                if r["VpcId"] == vid:
                    r["_deleted"] = True
        return {}

    def op_ModifyVpcAttribute(self, ctx, p):
        vpc = self.get(ctx.reg, "vpc", p["VpcId"])
        attrs = [k for k in ("EnableDnsHostnames", "EnableDnsSupport",
                             "EnableNetworkAddressUsageMetrics") if k in p]
        if not attrs:
            raise err("MissingParameter",
                      "The request must contain the parameter EnableDnsHostnames"
                      " or EnableDnsSupport")
        if len(attrs) > 1:
            raise err("InvalidParameterCombination",
                      "Fields for multiple attribute types specified: "
                      + ", ".join(a[0].lower() + a[1:] for a in attrs))
        a = attrs[0]
        val = p[a].get("Value")
        if val is None:
            raise err("MissingParameter",
                      f"The request must contain the parameter {a}.Value")
        if a == "EnableDnsHostnames":
            if val and not vpc["_dns_support"]:
                raise err("InvalidParameterValue",
                          "Cannot enable DNS hostnames without DNS support")
            vpc["_dns_hostnames"] = val
        elif a == "EnableDnsSupport":
            vpc["_dns_support"] = val
        else:
            vpc["_nau_metrics"] = val
        return {}

    def op_DescribeVpcAttribute(self, ctx, p):
        vpc = self.get(ctx.reg, "vpc", p["VpcId"])
        a = p["Attribute"]
        out = {"VpcId": vpc["VpcId"]}
        if a == "enableDnsSupport":
            out["EnableDnsSupport"] = {"Value": vpc["_dns_support"]}
        elif a == "enableDnsHostnames":
            out["EnableDnsHostnames"] = {"Value": vpc["_dns_hostnames"]}
        else:
            out["EnableNetworkAddressUsageMetrics"] = {"Value": vpc["_nau_metrics"]}
        return out

    # ================================================================ subnets

    def _create_subnet(self, reg, vpc, cidr, zone, default_for_az=False):
        sid = self.new_id("subnet")
        sub = {
            "SubnetId": sid, "VpcId": vpc["VpcId"], "CidrBlock": cidr,
            "AvailabilityZone": zone, "State": "available",
            "DefaultForAz": default_for_az, "MapPublicIpOnLaunch": default_for_az,
            "_used_ips": set(), "_visible_at": self.visible_at(), "_created": now(),
        }
        reg.subnets[sid] = sub
        return sub

    def view_subnet(self, reg, s):
        net = ipaddress.ip_network(s["CidrBlock"])
        avail = net.num_addresses - 5 - len(s["_used_ips"])
        return {
            "SubnetId": s["SubnetId"], "VpcId": s["VpcId"],
            "CidrBlock": s["CidrBlock"], "AvailabilityZone": s["AvailabilityZone"],
            "AvailabilityZoneId": reg.zone_ids[s["AvailabilityZone"]],
            "AvailableIpAddressCount": avail, "State": s["State"],
            "DefaultForAz": s["DefaultForAz"],
            "MapPublicIpOnLaunch": s["MapPublicIpOnLaunch"],
            "MapCustomerOwnedIpOnLaunch": False,
            "OwnerId": self.account, "AssignIpv6AddressOnCreation": False,
            "Ipv6CidrBlockAssociationSet": [],
            "SubnetArn": f"arn:aws:ec2:{reg.name}:{self.account}:subnet/{s['SubnetId']}",
            "EnableDns64": False, "Ipv6Native": False,
            "PrivateDnsNameOptionsOnLaunch": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": False,
                "EnableResourceNameDnsAAAARecord": False},
            "Tags": tag_list(self.tags_of(s)),
        }

    def op_CreateSubnet(self, ctx, p):
        reg = ctx.reg
        vpc = self.get(reg, "vpc", p["VpcId"])
        cidr = p.get("CidrBlock")
        if cidr is None:
            raise err("MissingParameter",
                      "The request must contain the parameter CidrBlock")
        net = parse_cidr(cidr, "cidrBlock")
        vnet = ipaddress.ip_network(vpc["CidrBlock"])
        if not 16 <= net.prefixlen <= 28 or not net.subnet_of(vnet):
            raise err("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")
        for s in live(reg.subnets):
            if s["VpcId"] == vpc["VpcId"] and \
                    net.overlaps(ipaddress.ip_network(s["CidrBlock"])):
                raise err("InvalidSubnet.Conflict",
                          f"The CIDR '{cidr}' conflicts with another subnet")
        zone = p.get("AvailabilityZone")
        if "AvailabilityZoneId" in p:
            if zone is not None:
                raise err("InvalidParameterCombination",
                          "Only one of AvailabilityZone or AvailabilityZoneId "
                          "may be specified")
            by_id = {v: k for k, v in reg.zone_ids.items()}
            zone = by_id.get(p["AvailabilityZoneId"])
            if zone is None:
                raise err("InvalidParameterValue",
                          f"Value ({p['AvailabilityZoneId']}) for parameter "
                          f"availabilityZoneId is invalid.")
        if zone is None:
            zone = self.id_rng.choice(reg.zones)
        if zone not in reg.zones:
            raise err("InvalidParameterValue",
                      f"Value ({zone}) for parameter availabilityZone is invalid. "
                      f"Subnets can currently only be created in the following "
                      f"availability zones: {', '.join(reg.zones)}.")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"subnet"}, {})
        sub = self._create_subnet(reg, vpc, str(net), zone)
        self.apply_tag_specs(specs, {"subnet"}, {"subnet": [sub]})
        out = self.view_subnet(reg, sub)
        out["State"] = "pending"
        return {"Subnet": out}

    def op_DescribeSubnets(self, ctx, p):
        reg = ctx.reg
        fm = {
            "subnet-id": lambda s: s["SubnetId"],
            "vpc-id": lambda s: s["VpcId"],
            "cidr-block": lambda s: s["CidrBlock"],
            "cidr": lambda s: s["CidrBlock"],
            "cidrBlock": lambda s: s["CidrBlock"],
            "availability-zone": lambda s: s["AvailabilityZone"],
            "availabilityZone": lambda s: s["AvailabilityZone"],
            "availability-zone-id": lambda s: reg.zone_ids[s["AvailabilityZone"]],
            "state": lambda s: s["State"],
            "default-for-az": lambda s: bool_s(s["DefaultForAz"]),
            "defaultForAz": lambda s: bool_s(s["DefaultForAz"]),
            "map-public-ip-on-launch": lambda s: bool_s(s["MapPublicIpOnLaunch"]),
            "owner-id": lambda s: self.account,
            "subnet-arn": lambda s: f"arn:aws:ec2:{reg.name}:{self.account}:subnet/{s['SubnetId']}",
        }
        items = self.select(reg, "subnet", p.get("SubnetIds"), p.get("Filters"), fm)
        page, token = paginate(ctx, items, p, "SubnetIds")
        return {"Subnets": [self.view_subnet(reg, s) for s in page],
                "NextToken": token}

    def op_DeleteSubnet(self, ctx, p):
        reg = ctx.reg
        sub = self.get(reg, "subnet", p["SubnetId"])
        sid = sub["SubnetId"]
        if any(i["SubnetId"] == sid and i["_state"] != "terminated"
               for i in reg.instances.values()):
            raise err("DependencyViolation",
                      f"The subnet '{sid}' has dependencies and cannot be deleted.")
        sub["_deleted"] = True
        for r in reg.rtbs.values():
            for a, s in list(r["_assocs"].items()):
                if s == sid:
                    del r["_assocs"][a]
        return {}

    def op_ModifySubnetAttribute(self, ctx, p):
        sub = self.get(ctx.reg, "subnet", p["SubnetId"])
        attrs = [k for k in p if k != "SubnetId"]
        if not attrs:
            raise err("MissingParameter",
                      "The request must contain the parameter MapPublicIpOnLaunch")
        if len(attrs) > 1:
            raise err("InvalidParameterCombination",
                      "Fields for multiple attribute types specified: "
                      + ", ".join(attrs))
        a = attrs[0]
        if a == "MapPublicIpOnLaunch":
            val = p[a].get("Value")
            if val is None:
                raise err("MissingParameter",
                          "The request must contain the parameter MapPublicIpOnLaunch.Value")
            sub["MapPublicIpOnLaunch"] = val
        elif a in ("AssignIpv6AddressOnCreation", "EnableDns64") and \
                p[a].get("Value"):
            raise err("InvalidParameterValue",
                      "IPv6 is not supported by this endpoint")
        return {}

    # ================================================================ IGW

    def _create_igw(self, reg):
        gid = self.new_id("igw")
        igw = {"InternetGatewayId": gid, "_vpc": None,
               "_visible_at": self.visible_at(), "_created": now()}
        reg.igws[gid] = igw
        return igw

    def view_igw(self, g):
        # EC2 says "available" for an attached gateway (not the model's
        # "attached"); see protocol.AWS_ENUM_DEVIATIONS
        att = [{"State": "available", "VpcId": g["_vpc"]}] if g["_vpc"] else []
        return {"InternetGatewayId": g["InternetGatewayId"],
                "OwnerId": self.account, "Attachments": att,
                "Tags": tag_list(self.tags_of(g))}

    def op_CreateInternetGateway(self, ctx, p):
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"internet-gateway"}, {})
        igw = self._create_igw(ctx.reg)
        self.apply_tag_specs(specs, {"internet-gateway"}, {"internet-gateway": [igw]})
        return {"InternetGateway": self.view_igw(igw)}

    def op_DescribeInternetGateways(self, ctx, p):
        fm = {
            "internet-gateway-id": lambda g: g["InternetGatewayId"],
            "attachment.vpc-id": lambda g: g["_vpc"],
            "attachment.state": lambda g: ["available", "attached"] if g["_vpc"] else None,
            "owner-id": lambda g: self.account,
        }
        items = self.select(ctx.reg, "igw", p.get("InternetGatewayIds"),
                            p.get("Filters"), fm)
        page, token = paginate(ctx, items, p, "InternetGatewayIds")
        return {"InternetGateways": [self.view_igw(g) for g in page],
                "NextToken": token}

    def op_AttachInternetGateway(self, ctx, p):
        reg = ctx.reg
        igw = self.get(reg, "igw", p["InternetGatewayId"])
        vpc = self.get(reg, "vpc", p["VpcId"])
        if igw["_vpc"]:
            raise err("Resource.AlreadyAssociated",
                      f"resource {igw['InternetGatewayId']} is already attached "
                      f"to network {igw['_vpc']}")
        for g in live(reg.igws):
            if g["_vpc"] == vpc["VpcId"]:
                raise err("InvalidParameterValue",
                          f"Network {vpc['VpcId']} already has an internet "
                          f"gateway attached")
        igw["_vpc"] = vpc["VpcId"]
        return {}

    def op_DetachInternetGateway(self, ctx, p):
        reg = ctx.reg
        igw = self.get(reg, "igw", p["InternetGatewayId"])
        vpc = self.get(reg, "vpc", p["VpcId"])
        vid = vpc["VpcId"]
        if igw["_vpc"] != vid:
            raise err("Gateway.NotAttached",
                      f"resource {igw['InternetGatewayId']} is not attached to "
                      f"network {vid}")
        mapped = any(i["VpcId"] == vid and i["_state"] != "terminated"
                     and (i.get("_public_ip") or i.get("_eip"))
                     for i in reg.instances.values())
        if mapped:
            raise err("DependencyViolation",
                      f"Network {vid} has some mapped public address(es). Please "
                      f"unmap those public address(es) before detaching the gateway.")
        igw["_vpc"] = None
        return {}

    def op_DeleteInternetGateway(self, ctx, p):
        igw = self.get(ctx.reg, "igw", p["InternetGatewayId"])
        if igw["_vpc"]:
            raise err("DependencyViolation",
                      f"The internetGateway '{igw['InternetGatewayId']}' has "
                      f"dependencies and cannot be deleted.")
        igw["_deleted"] = True
        return {}

    # ================================================================ routes

    def view_rtb(self, reg, r):
        routes = []
        for rt in r["_routes"]:
            d = dict(rt)
            gw = d.get("GatewayId")
            d["State"] = "active"
            if gw and gw.startswith("igw-"):
                g = reg.igws.get(gw)
                if g is None or g.get("_deleted") or g["_vpc"] != r["VpcId"]:
                    d["State"] = "blackhole"
            routes.append(d)
        assocs = []
        for aid, sid in r["_assocs"].items():
            a = {"RouteTableAssociationId": aid, "RouteTableId": r["RouteTableId"],
                 "AssociationState": {"State": "associated"}}
            if sid is None:
                a["Main"] = True
            else:
                a["Main"] = False
                a["SubnetId"] = sid
            assocs.append(a)
        return {"RouteTableId": r["RouteTableId"], "VpcId": r["VpcId"],
                "OwnerId": self.account, "Routes": routes,
                "Associations": assocs, "PropagatingVgws": [],
                "Tags": tag_list(self.tags_of(r))}

    def op_CreateRouteTable(self, ctx, p):
        reg = ctx.reg
        vpc = self.get(reg, "vpc", p["VpcId"])
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"route-table"}, {})
        rid = self.new_id("rtb")
        r = {"RouteTableId": rid, "VpcId": vpc["VpcId"], "_main": False,
             "_routes": [{"DestinationCidrBlock": vpc["CidrBlock"],
                          "GatewayId": "local", "Origin": "CreateRouteTable"}],
             "_assocs": {}, "_visible_at": self.visible_at(), "_created": now()}
        reg.rtbs[rid] = r
        self.apply_tag_specs(specs, {"route-table"}, {"route-table": [r]})
        return {"RouteTable": self.view_rtb(reg, r)}

    def op_DescribeRouteTables(self, ctx, p):
        reg = ctx.reg

        def assoc_vals(key):
            def f(r):
                out = []
                for aid, sid in r["_assocs"].items():
                    if key == "main":
                        out.append(bool_s(sid is None))
                    elif key == "subnet-id":
                        out.append(sid)
                    else:
                        out.append(aid)
                return out
            return f

        fm = {
            "route-table-id": lambda r: r["RouteTableId"],
            "vpc-id": lambda r: r["VpcId"],
            "owner-id": lambda r: self.account,
            "association.main": assoc_vals("main"),
            "association.subnet-id": assoc_vals("subnet-id"),
            "association.route-table-association-id": assoc_vals("id"),
            "association.route-table-id": lambda r: r["RouteTableId"] if r["_assocs"] else None,
            "route.gateway-id": lambda r: [x.get("GatewayId") for x in r["_routes"]],
            "route.destination-cidr-block": lambda r: [x.get("DestinationCidrBlock") for x in r["_routes"]],
            "route.origin": lambda r: [x.get("Origin") for x in r["_routes"]],
            "route.state": lambda r: [x["State"] for x in self.view_rtb(reg, r)["Routes"]],
        }
        items = self.select(reg, "rtb", p.get("RouteTableIds"), p.get("Filters"), fm)
        page, token = paginate(ctx, items, p, "RouteTableIds")
        return {"RouteTables": [self.view_rtb(reg, r) for r in page],
                "NextToken": token}

    def op_DeleteRouteTable(self, ctx, p):
        r = self.get(ctx.reg, "rtb", p["RouteTableId"])
        if r.get("_main") or r["_assocs"]:
            raise err("DependencyViolation",
                      f"The routeTable '{r['RouteTableId']}' has dependencies "
                      f"and cannot be deleted.")
        r["_deleted"] = True
        return {}

    def _route_targets(self, p):
        keys = ["GatewayId", "InstanceId", "NatGatewayId", "NetworkInterfaceId",
                "VpcPeeringConnectionId", "TransitGatewayId",
                "EgressOnlyInternetGatewayId", "LocalGatewayId",
                "CarrierGatewayId", "VpcEndpointId", "CoreNetworkArn"]
        return [k for k in keys if k in p]

    def op_CreateRoute(self, ctx, p):
        reg = ctx.reg
        r = self.get(reg, "rtb", p["RouteTableId"])
        dest = p.get("DestinationCidrBlock")
        if dest is None:
            if "DestinationIpv6CidrBlock" in p or "DestinationPrefixListId" in p:
                raise err("InvalidParameterValue",
                          "Only IPv4 destination CIDR routes are supported by "
                          "this endpoint")
            raise err("MissingParameter",
                      "The request must contain the parameter destinationCidrBlock")
        net = parse_cidr(dest, "destinationCidrBlock")
        gw = self._route_gateway(reg, r, p)
        for rt in r["_routes"]:
            if rt.get("DestinationCidrBlock") == str(net):
                raise err("RouteAlreadyExists",
                          f"The route identified by {net} already exists.")
        r["_routes"].append({"DestinationCidrBlock": str(net), "GatewayId": gw,
                             "Origin": "CreateRoute"})
        return {"Return": True}

    def op_ReplaceRoute(self, ctx, p):
        reg = ctx.reg
        r = self.get(reg, "rtb", p["RouteTableId"])
        dest = p.get("DestinationCidrBlock")
        if dest is None:
            raise err("MissingParameter",
                      "The request must contain the parameter destinationCidrBlock")
        net = parse_cidr(dest, "destinationCidrBlock")
        if p.get("LocalTarget"):
            raise err("InvalidParameterValue",
                      "LocalTarget routes are not supported by this endpoint")
        for rt in r["_routes"]:
            if rt.get("DestinationCidrBlock") == str(net):
                if rt.get("GatewayId") == "local":
                    raise err("InvalidParameterValue",
                              f"The local route {net} in route table "
                              f"{r['RouteTableId']} cannot be replaced here")
                rt["GatewayId"] = self._route_gateway(reg, r, p)
                rt["Origin"] = "CreateRoute"
                return {}
        raise err("InvalidParameterValue",
                  f"There is no route defined for '{net}' in the route table. "
                  f"Must use CreateRoute instead.")

    def _route_gateway(self, reg, r, p):
        targets = self._route_targets(p)
        if not targets:
            raise err("InvalidParameterCombination",
                      "No route target specified (gatewayId, instanceId, "
                      "natGatewayId, networkInterfaceId, ...)")
        if len(targets) > 1:
            raise err("InvalidParameterCombination",
                      "More than one target specified: " + ", ".join(targets))
        if targets[0] != "GatewayId":
            raise err("InvalidParameterValue",
                      f"Route target {targets[0]} is not supported by this endpoint")
        gw = p["GatewayId"]
        if gw.startswith("igw-"):
            g = self.get(reg, "igw", gw)
            if g["_vpc"] != r["VpcId"]:
                raise err("InvalidParameterValue",
                          f"route table {r['RouteTableId']} and network gateway "
                          f"{gw} belong to different networks")
        else:
            raise err("InvalidGatewayID.NotFound",
                      f"The gateway ID '{gw}' does not exist")
        return gw

    def op_DeleteRoute(self, ctx, p):
        r = self.get(ctx.reg, "rtb", p["RouteTableId"])
        dest = p.get("DestinationCidrBlock")
        if dest is None:
            raise err("MissingParameter",
                      "The request must contain the parameter destinationCidrBlock")
        for rt in r["_routes"]:
            if rt.get("DestinationCidrBlock") == dest:
                if rt.get("GatewayId") == "local":
                    raise err("InvalidParameterValue",
                              f"cannot remove local route {dest} in route table "
                              f"{r['RouteTableId']}")
                r["_routes"].remove(rt)
                return {}
        raise err("InvalidRoute.NotFound",
                  f"no route with destination-cidr-block {dest} in route table "
                  f"{r['RouteTableId']}")

    def op_AssociateRouteTable(self, ctx, p):
        reg = ctx.reg
        r = self.get(reg, "rtb", p["RouteTableId"])
        if "GatewayId" in p:
            raise err("InvalidParameterValue",
                      "Gateway route table associations are not supported by "
                      "this endpoint")
        if "SubnetId" not in p:
            raise err("MissingParameter",
                      "The request must contain the parameter subnetId")
        sub = self.get(reg, "subnet", p["SubnetId"])
        if sub["VpcId"] != r["VpcId"]:
            raise err("InvalidParameterValue",
                      f"Route table {r['RouteTableId']} and subnet "
                      f"{sub['SubnetId']} belong to different networks")
        for other in live(reg.rtbs):
            for aid, sid in other["_assocs"].items():
                if sid == sub["SubnetId"]:
                    raise err("Resource.AlreadyAssociated",
                              f"the specified association for route table "
                              f"{other['RouteTableId']} conflicts with an "
                              f"existing association")
        aid = "rtbassoc-" + self.new_id("x")[2:]
        r["_assocs"][aid] = sub["SubnetId"]
        return {"AssociationId": aid, "AssociationState": {"State": "associated"}}

    def op_DisassociateRouteTable(self, ctx, p):
        aid = p["AssociationId"]
        self.check_id("rtbassoc", aid)
        for r in live(ctx.reg.rtbs):
            if aid in r["_assocs"]:
                if r["_assocs"][aid] is None:
                    raise err("InvalidParameterValue",
                              f"cannot disassociate the main route table "
                              f"association {aid}")
                del r["_assocs"][aid]
                return {}
        raise self.not_found("rtbassoc", aid)

    def op_ReplaceRouteTableAssociation(self, ctx, p):
        reg = ctx.reg
        aid = p["AssociationId"]
        self.check_id("rtbassoc", aid)
        new = self.get(reg, "rtb", p["RouteTableId"])
        for r in live(reg.rtbs):
            if aid in r["_assocs"]:
                if r["VpcId"] != new["VpcId"]:
                    raise err("InvalidParameterValue",
                              "route tables belong to different networks")
                sid = r["_assocs"].pop(aid)
                if sid is None:
                    r["_main"] = False
                    new["_main"] = True
                nid = "rtbassoc-" + self.new_id("x")[2:]
                new["_assocs"][nid] = sid
                return {"NewAssociationId": nid,
                        "AssociationState": {"State": "associated"}}
        raise self.not_found("rtbassoc", aid)

    # ================================================================ SGs

    def _add_rule(self, sg, egress, proto, from_port, to_port, cidr=None,
                  cidr6=None, group_id=None, desc=None):
        rule = {"id": "sgr-" + self.new_id("x")[2:], "proto": proto,
                "from": from_port, "to": to_port, "cidr": cidr, "cidr6": cidr6,
                "group": group_id, "desc": desc}
        (sg["_egress"] if egress else sg["_ingress"]).append(rule)
        return rule

    def view_perms(self, rules):
        perms = []
        index = {}
        for r in rules:
            key = (r["proto"], r["from"], r["to"])
            if key not in index:
                perm = {"IpProtocol": r["proto"], "IpRanges": [],
                        "Ipv6Ranges": [], "PrefixListIds": [],
                        "UserIdGroupPairs": []}
                if r["proto"] != "-1":
                    perm["FromPort"] = r["from"]
                    perm["ToPort"] = r["to"]
                index[key] = perm
                perms.append(perm)
            perm = index[key]
            if r["cidr"]:
                perm["IpRanges"].append({"CidrIp": r["cidr"], "Description": r["desc"]})
            if r["cidr6"]:
                perm["Ipv6Ranges"].append({"CidrIpv6": r["cidr6"], "Description": r["desc"]})
            if r["group"]:
                perm["UserIdGroupPairs"].append({"GroupId": r["group"],
                                                 "UserId": self.account,
                                                 "Description": r["desc"]})
        return perms

    def view_sg(self, g):
        return {"GroupId": g["GroupId"], "GroupName": g["GroupName"],
                "Description": g["Description"], "VpcId": g["VpcId"],
                "OwnerId": self.account,
                "IpPermissions": self.view_perms(g["_ingress"]),
                "IpPermissionsEgress": self.view_perms(g["_egress"]),
                "Tags": tag_list(self.tags_of(g))}

    def view_rule(self, g, r, egress):
        out = {"SecurityGroupRuleId": r["id"], "GroupId": g["GroupId"],
               "GroupOwnerId": self.account, "IsEgress": egress,
               "IpProtocol": r["proto"],
               "FromPort": r["from"] if r["from"] is not None else -1,
               "ToPort": r["to"] if r["to"] is not None else -1,
               "Description": r["desc"]}
        if r["cidr"]:
            out["CidrIpv4"] = r["cidr"]
        if r["cidr6"]:
            out["CidrIpv6"] = r["cidr6"]
        if r["group"]:
            out["ReferencedGroupInfo"] = {"GroupId": r["group"],
                                          "UserId": self.account}
        return out

    def op_CreateSecurityGroup(self, ctx, p):
        reg = ctx.reg
        name = p["GroupName"]
        desc = p["Description"]
        if "VpcId" in p:
            vpc = self.get(reg, "vpc", p["VpcId"])
        else:
            vpc = next((v for v in live(reg.vpcs) if v["IsDefault"]), None)
            if vpc is None:
                raise err("VPCIdNotSpecified", "No default VPC for this user")
        if not name or len(name) > 255:
            raise err("InvalidParameterValue",
                      "Invalid security group name. Valid names are non-empty "
                      "strings of at most 255 characters.")
        if name.startswith("sg-"):
            raise err("InvalidParameterValue",
                      "Group names may not be in the format sg-*.")
        if name == "default":
            raise err("InvalidGroup.Reserved",
                      "The security group 'default' is reserved")
        if len(desc) > 255 or not re.fullmatch(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*", desc):
            raise err("InvalidParameterValue",
                      "Invalid value for parameter GroupDescription: "
                      "Character sets beyond ASCII are not supported.")
        for g in live(reg.sgs):
            if g["VpcId"] == vpc["VpcId"] and g["GroupName"] == name:
                raise err("InvalidGroup.Duplicate",
                          f"The security group '{name}' already exists for VPC "
                          f"'{vpc['VpcId']}'")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"security-group"}, {})
        gid = self.new_id("sg")
        g = {"GroupId": gid, "GroupName": name, "Description": desc,
             "VpcId": vpc["VpcId"], "_default": False, "_ingress": [],
             "_egress": [], "_visible_at": self.visible_at(), "_created": now()}
        self._add_rule(g, True, "-1", None, None, cidr="0.0.0.0/0")
        reg.sgs[gid] = g
        self.apply_tag_specs(specs, {"security-group"}, {"security-group": [g]})
        return {"GroupId": gid, "Tags": tag_list(self.tags_of(g))}

    def find_sg(self, reg, p, required=True):
        if "GroupId" in p:
            return self.get(reg, "sg", p["GroupId"])
        if "GroupName" in p:
            dv = next((v for v in live(reg.vpcs) if v["IsDefault"]), None)
            for g in live(reg.sgs):
                if dv and g["VpcId"] == dv["VpcId"] and g["GroupName"] == p["GroupName"]:
                    return g
            raise err("InvalidGroup.NotFound",
                      f"The security group '{p['GroupName']}' does not exist in "
                      f"default VPC '{dv['VpcId'] if dv else 'none'}'")
        if required:
            raise err("MissingParameter",
                      "The request must contain the parameter groupName or groupId")
        return None

    def op_DescribeSecurityGroups(self, ctx, p):
        reg = ctx.reg

        def rules(g, egress, f):
            return [f(r) for r in (g["_egress"] if egress else g["_ingress"])]

        fm = {
            "group-id": lambda g: g["GroupId"],
            "group-name": lambda g: g["GroupName"],
            "vpc-id": lambda g: g["VpcId"],
            "description": lambda g: g["Description"],
            "owner-id": lambda g: self.account,
            "ip-permission.cidr": lambda g: rules(g, False, lambda r: r["cidr"]),
            "ip-permission.from-port": lambda g: rules(g, False, lambda r: str(r["from"])),
            "ip-permission.to-port": lambda g: rules(g, False, lambda r: str(r["to"])),
            "ip-permission.protocol": lambda g: rules(g, False, lambda r: r["proto"]),
            "ip-permission.group-id": lambda g: rules(g, False, lambda r: r["group"]),
            "egress.ip-permission.cidr": lambda g: rules(g, True, lambda r: r["cidr"]),
            "egress.ip-permission.protocol": lambda g: rules(g, True, lambda r: r["proto"]),
        }
        items = self.select(reg, "sg", p.get("GroupIds"), p.get("Filters"), fm)
        names = p.get("GroupNames")
        if names:
            dv = next((v for v in live(reg.vpcs) if v["IsDefault"]), None)
            found = [g for g in items if dv and g["VpcId"] == dv["VpcId"]
                     and g["GroupName"] in names]
            missing = [n for n in names if n not in {g["GroupName"] for g in found}]
            if missing:
                raise err("InvalidGroup.NotFound",
                          f"The security group '{missing[0]}' does not exist in "
                          f"default VPC '{dv['VpcId'] if dv else 'none'}'")
            items = found
        page, token = paginate(ctx, items, p, "GroupIds")
        return {"SecurityGroups": [self.view_sg(g) for g in page],
                "NextToken": token}

    def op_DescribeSecurityGroupRules(self, ctx, p):
        reg = ctx.reg
        out = []
        for g in live(reg.sgs):
            if g.get("_visible_at", 0) > now():
                continue
            for eg in (False, True):
                for r in (g["_egress"] if eg else g["_ingress"]):
                    out.append((g, r, eg))
        fm = {"group-id": lambda x: x[0]["GroupId"],
              "security-group-rule-id": lambda x: x[1]["id"]}
        items = apply_filters(out, p.get("Filters"), fm, tags=False)
        ids = p.get("SecurityGroupRuleIds")
        if ids:
            have = {x[1]["id"] for x in items}
            for i in ids:
                if i not in have:
                    raise self.not_found("sgr", i)
            items = [x for x in items if x[1]["id"] in ids]
        page, token = paginate(ctx, items, p, "SecurityGroupRuleIds")
        return {"SecurityGroupRules": [self.view_rule(*x) for x in page],
                "NextToken": token}

    def _parse_perms(self, reg, sg, p):
        perms = p.get("IpPermissions")
        legacy = [k for k in ("CidrIp", "FromPort", "ToPort", "IpProtocol",
                              "SourceSecurityGroupName",
                              "SourceSecurityGroupOwnerId") if k in p]
        if perms and legacy:
            raise err("InvalidParameterCombination",
                      "The parameter 'ipPermissions' may not be used in "
                      "combination with '" + legacy[0] + "'")
        if not perms:
            if not legacy:
                raise err("MissingParameter",
                          "The request must contain the parameter ipPermissions")
            perm = {"IpProtocol": p.get("IpProtocol", "-1")}
            if "FromPort" in p:
                perm["FromPort"] = p["FromPort"]
            if "ToPort" in p:
                perm["ToPort"] = p["ToPort"]
            if "CidrIp" in p:
                perm["IpRanges"] = [{"CidrIp": p["CidrIp"]}]
            if "SourceSecurityGroupName" in p:
                src = self.find_sg(reg, {"GroupName": p["SourceSecurityGroupName"]})
                perm["UserIdGroupPairs"] = [{"GroupId": src["GroupId"]}]
            perms = [perm]
        out = []
        for perm in perms:
            proto = str(perm.get("IpProtocol", "")).lower()
            names = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp",
                     "icmp": "icmp", "1": "icmp", "-1": "-1", "all": "-1",
                     "icmpv6": "icmpv6", "58": "icmpv6"}
            if proto not in names:
                if proto.isdigit() and 0 <= int(proto) <= 255:
                    names[proto] = proto
                else:
                    raise err("InvalidParameterValue",
                              f"Invalid value '{perm.get('IpProtocol')}' for "
                              f"IP protocol. Unknown protocol.")
            proto = names[proto]
            fp, tp = perm.get("FromPort"), perm.get("ToPort")
            if proto in ("tcp", "udp"):
                if fp is None or tp is None:
                    raise err("InvalidParameterValue",
                              "Invalid value for portRange. Must specify both "
                              "from and to ports with TCP/UDP.")
                if not (0 <= fp <= 65535 and 0 <= tp <= 65535) or fp > tp:
                    raise err("InvalidParameterValue",
                              f"Invalid value for portRange. Must be between 0 "
                              f"and 65535 and from ({fp}) <= to ({tp}).")
            elif proto == "-1":
                fp = tp = None
            else:
                fp = -1 if fp is None else fp
                tp = -1 if tp is None else tp
            targets = []
            for rng in perm.get("IpRanges", []):
                c = rng.get("CidrIp")
                if c is None:
                    raise err("MissingParameter",
                              "The request must contain the parameter CidrIp")
                net = parse_cidr(c, "cidrIp", strict=False)
                if str(net) != c:
                    raise err("InvalidParameterValue",
                              f"CIDR block {c} is malformed")
                targets.append({"cidr": c, "desc": rng.get("Description")})
            for rng in perm.get("Ipv6Ranges", []):
                c = rng.get("CidrIpv6")
                try:
                    ipaddress.IPv6Network(c)
                except (ValueError, TypeError):
                    raise err("InvalidParameterValue",
                              f"CIDR block {c} is malformed") from None
                targets.append({"cidr6": c, "desc": rng.get("Description")})
            for pair in perm.get("UserIdGroupPairs", []):
                gid = pair.get("GroupId")
                if gid is None and pair.get("GroupName"):
                    gid = self.find_sg(reg, {"GroupName": pair["GroupName"]})["GroupId"]
                src = self.get(reg, "sg", gid)
                if src["VpcId"] != sg["VpcId"]:
                    raise err("InvalidGroup.NotFound",
                              "You have specified two resources that belong "
                              "to different networks.")
                targets.append({"group": gid, "desc": pair.get("Description")})
            if perm.get("PrefixListIds"):
                raise err("InvalidParameterValue",
                          "Prefix list rules are not supported by this endpoint")
            if not targets:
                raise err("MissingParameter",
                          "The request must contain the parameter ipRanges, "
                          "ipv6Ranges or groups")
            for t in targets:
                out.append((proto, fp, tp, t))
        return out

    @staticmethod
    def _rule_key(proto, fp, tp, t):
        return (proto, fp, tp, t.get("cidr"), t.get("cidr6"), t.get("group"))

    def _authorize(self, ctx, p, egress):
        reg = ctx.reg
        sg = self.find_sg(reg, p)
        if egress and "GroupId" not in p:
            raise err("MissingParameter",
                      "The request must contain the parameter groupId")
        rules = self._parse_perms(reg, sg, p)
        existing = sg["_egress"] if egress else sg["_ingress"]
        have = {(r["proto"], r["from"], r["to"], r["cidr"], r["cidr6"], r["group"])
                for r in existing}
        seen = set()
        for proto, fp, tp, t in rules:
            key = self._rule_key(proto, fp, tp, t)
            if key in have or key in seen:
                peer = t.get("cidr") or t.get("cidr6") or t.get("group")
                pname = "ALL" if proto == "-1" else proto.upper()
                raise err("InvalidPermission.Duplicate",
                          f'the specified rule "peer: {peer}, {pname}, from port: '
                          f'{fp}, to port: {tp}, ALLOW" already exists')
            seen.add(key)
        if len(existing) + len(rules) > 60:
            raise err("RulesPerSecurityGroupLimitExceeded",
                      "The maximum number of rules per security group has been "
                      "reached.")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"security-group-rule"}, {})
        added = []
        for proto, fp, tp, t in rules:
            added.append(self._add_rule(sg, egress, proto, fp, tp,
                                        cidr=t.get("cidr"), cidr6=t.get("cidr6"),
                                        group_id=t.get("group"), desc=t.get("desc")))
        self.apply_tag_specs(specs, {"security-group-rule"},
                             {"security-group-rule": added})
        return {"Return": True,
                "SecurityGroupRules": [self.view_rule(sg, r, egress) for r in added]}

    def _revoke(self, ctx, p, egress):
        reg = ctx.reg
        sg = self.find_sg(reg, p)
        existing = sg["_egress"] if egress else sg["_ingress"]
        if p.get("SecurityGroupRuleIds"):
            ids = p["SecurityGroupRuleIds"]
            for i in ids:
                if i not in {r["id"] for r in existing}:
                    raise self.not_found("sgr", i)
            existing[:] = [r for r in existing if r["id"] not in ids]
            return {"Return": True}
        rules = self._parse_perms(reg, sg, p)
        in_default_vpc = reg.vpcs[sg["VpcId"]]["IsDefault"]
        unknown = []
        for proto, fp, tp, t in rules:
            key = self._rule_key(proto, fp, tp, t)
            match = [r for r in existing
                     if (r["proto"], r["from"], r["to"], r["cidr"], r["cidr6"],
                         r["group"]) == key]
            if not match:
                if not in_default_vpc:
                    raise err("InvalidPermission.NotFound",
                              "The specified rule does not exist in this "
                              "security group.")
                # default VPC: no error, the unmatched rules are reported
                unknown.append(self.view_perms([{
                    "proto": proto, "from": fp, "to": tp, "cidr": t.get("cidr"),
                    "cidr6": t.get("cidr6"), "group": t.get("group"),
                    "desc": None}])[0])
        for proto, fp, tp, t in rules:
            key = self._rule_key(proto, fp, tp, t)
            existing[:] = [r for r in existing
                           if (r["proto"], r["from"], r["to"], r["cidr"],
                               r["cidr6"], r["group"]) != key]
        if unknown:
            return {"Return": False, "UnknownIpPermissions": unknown}
        return {"Return": True}

    def op_AuthorizeSecurityGroupIngress(self, ctx, p):
        return self._authorize(ctx, p, False)

    def op_AuthorizeSecurityGroupEgress(self, ctx, p):
        return self._authorize(ctx, p, True)

    def op_RevokeSecurityGroupIngress(self, ctx, p):
        return self._revoke(ctx, p, False)

    def op_RevokeSecurityGroupEgress(self, ctx, p):
        return self._revoke(ctx, p, True)

    def op_DeleteSecurityGroup(self, ctx, p):
        reg = ctx.reg
        sg = self.find_sg(reg, p)
        gid = sg["GroupId"]
        if sg.get("_default"):
            raise err("CannotDelete",
                      f'the specified group: "{gid}" name: "default" cannot be '
                      f"deleted by a user")
        for i in reg.instances.values():
            if i["_state"] != "terminated" and gid in i["_groups"]:
                raise err("DependencyViolation",
                          f"resource {gid} has a dependent object")
        for g in live(reg.sgs):
            if g is sg:
                continue
            for r in g["_ingress"] + g["_egress"]:
                if r["group"] == gid:
                    raise err("DependencyViolation",
                              f"resource {gid} has a dependent object")
        sg["_deleted"] = True
        return {}

    # ================================================================ keys

    def view_key(self, k, include_public=False):
        fp = k["_fingerprint"]
        if self.md5_fingerprints:
            blob = base64.b64decode(k["_public"].split()[1])
            fp = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
        out = {"KeyPairId": k["KeyPairId"], "KeyName": k["KeyName"],
               "KeyFingerprint": fp, "KeyType": k["_type"],
               "CreateTime": k["_created"], "Tags": tag_list(self.tags_of(k))}
        if include_public:
            out["PublicKey"] = k["_public"]
        return out

    def _store_key(self, reg, name, public, ktype, fingerprint, specs):
        kid = self.new_id("key")
        k = {"KeyPairId": kid, "KeyName": name, "_public": public,
             "_type": ktype, "_fingerprint": fingerprint,
             "_visible_at": self.visible_at(), "_created": now()}
        reg.keypairs[kid] = k
        self.apply_tag_specs(specs, {"key-pair"}, {"key-pair": [k]})
        return k

    def _check_key_name(self, reg, name):
        if not name or len(name) > 255:
            raise err("InvalidParameterValue",
                      "Invalid value for parameter KeyName")
        for k in live(reg.keypairs):
            if k["KeyName"] == name:
                raise err("InvalidKeyPair.Duplicate",
                          f"The keypair '{name}' already exists.")

    def op_ImportKeyPair(self, ctx, p):
        reg = ctx.reg
        name = p["KeyName"]
        self._check_key_name(reg, name)
        material = p["PublicKeyMaterial"]
        ktype, fingerprint, line = parse_public_key(material)
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"key-pair"}, {})
        k = self._store_key(reg, name, line, ktype, fingerprint, specs)
        return {"KeyFingerprint": fingerprint, "KeyName": name,
                "KeyPairId": k["KeyPairId"], "Tags": tag_list(self.tags_of(k))}

    def op_CreateKeyPair(self, ctx, p):
        reg = ctx.reg
        name = p["KeyName"]
        self._check_key_name(reg, name)
        ktype = p.get("KeyType", "rsa")
        fmt = p.get("KeyFormat", "pem")
        if fmt != "pem":
            raise err("InvalidParameterValue",
                      "Only the pem key format is supported by this endpoint")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"key-pair"}, {})
        private, public, fingerprint = generate_key(ktype, name)
        k = self._store_key(reg, name, public, ktype, fingerprint, specs)
        return {"KeyFingerprint": fingerprint, "KeyMaterial": private,
                "KeyName": name, "KeyPairId": k["KeyPairId"],
                "Tags": tag_list(self.tags_of(k))}

    def op_DeleteKeyPair(self, ctx, p):
        reg = ctx.reg
        if "KeyPairId" in p:
            k = self.get(reg, "key", p["KeyPairId"])
            k["_deleted"] = True
        elif "KeyName" in p:
            for k in live(reg.keypairs):
                if k["KeyName"] == p["KeyName"]:
                    k["_deleted"] = True
        else:
            raise err("MissingParameter",
                      "The request must contain the parameter KeyName or KeyPairId")
        return {}

    def op_DescribeKeyPairs(self, ctx, p):
        reg = ctx.reg
        fm = {"key-name": lambda k: k["KeyName"],
              "key-pair-id": lambda k: k["KeyPairId"],
              "fingerprint": lambda k: k["_fingerprint"],
              "key-type": lambda k: k["_type"]}
        items = self.select(reg, "key", p.get("KeyPairIds"), p.get("Filters"), fm)
        names = p.get("KeyNames")
        if names:
            by_name = {k["KeyName"]: k for k in items}
            for n in names:
                if n not in by_name:
                    raise err("InvalidKeyPair.NotFound",
                              f"The key pair '{n}' does not exist")
            items = [by_name[n] for n in dict.fromkeys(names)]
        inc = p.get("IncludePublicKey", False)
        return {"KeyPairs": [self.view_key(k, inc) for k in items]}

    # ================================================================ images

    def op_DescribeImages(self, ctx, p):
        reg = ctx.reg
        owners = p.get("Owners")

        def owner_ok(im):
            if not owners:
                return True
            for o in owners:
                if o in (im["OwnerId"],) or (o == "self" and im["OwnerId"] == self.account):
                    return True
            return False

        fm = {
            "image-id": lambda i: i["ImageId"],
            "name": lambda i: i["Name"],
            "owner-id": lambda i: i["OwnerId"],
            "owner-alias": lambda i: None,
            "architecture": lambda i: i["Architecture"],
            "state": lambda i: i["State"],
            "root-device-type": lambda i: i["RootDeviceType"],
            "root-device-name": lambda i: i["RootDeviceName"],
            "virtualization-type": lambda i: i["VirtualizationType"],
            "is-public": lambda i: bool_s(i["Public"]),
            "description": lambda i: i["Description"],
            "image-type": lambda i: i["ImageType"],
            "hypervisor": lambda i: i["Hypervisor"],
            "ena-support": lambda i: bool_s(i["EnaSupport"]),
            "platform-details": lambda i: i["PlatformDetails"],
            "creation-date": lambda i: i["CreationDate"],
            "block-device-mapping.volume-type": lambda i: [
                b["Ebs"]["VolumeType"] for b in i["BlockDeviceMappings"] if "Ebs" in b],
            "block-device-mapping.device-name": lambda i: [
                b["DeviceName"] for b in i["BlockDeviceMappings"]],
            "block-device-mapping.snapshot-id": lambda i: [
                b["Ebs"]["SnapshotId"] for b in i["BlockDeviceMappings"] if "Ebs" in b],
        }
        ids = p.get("ImageIds")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

        def listed(im):
            if not owner_ok(im):
                return False
            # deprecated public images only when asked for (or by id)
            return bool(ids) or p.get("IncludeDeprecated", False) or \
                im["OwnerId"] == self.account or im["DeprecationTime"] > stamp

        items = self.select(reg, "ami", ids, p.get("Filters"), fm,
                            extra_visible=listed)
        out = []
        for im in items:
            v = {k: copy.deepcopy(val) for k, val in im.items() if not k.startswith("_")}
            out.append(v)
        return {"Images": out}

    # ================================================================ instances

    def _instance_arch(self, itype):
        return "arm64" if ARM_TYPE.match(itype) else "x86_64"

    def _alloc_public_ip(self):
        """127.0.0.2 .. 127.0.0.254, then 127.0.2.2 ..; 127.0.1.x is for EIPs."""
        self.ip_counter += 1
        idx = self.ip_counter - 2
        block, host = divmod(idx, 253)
        third = 0 if block == 0 else block + 1
        if third > 255:
            raise err("InsufficientAddressCapacity",
                      "The simulator ran out of loopback public addresses")
        return f"127.0.{third}.{host + 2}"

    def _alloc_private_ip(self, sub, wanted=None):
        net = ipaddress.ip_network(sub["CidrBlock"])
        hosts = list(net)
        usable = hosts[4:-1]
        if wanted is not None:
            try:
                a = ipaddress.ip_address(wanted)
            except ValueError:
                raise err("InvalidParameterValue",
                          f"Invalid value '{wanted}' for PrivateIpAddress") from None
            if a not in usable:
                raise err("InvalidParameterValue",
                          f"Address {wanted} does not fall within the subnet's "
                          f"address range")
            if str(a) in sub["_used_ips"]:
                raise err("InvalidIPAddress.InUse",
                          f"Address {wanted} is in use.")
            sub["_used_ips"].add(str(a))
            return str(a)
        for a in usable:
            if str(a) not in sub["_used_ips"]:
                sub["_used_ips"].add(str(a))
                return str(a)
        raise err("InsufficientFreeAddressesInSubnet",
                  f"Insufficient free IP addresses in subnet {sub['SubnetId']}")

    def _volume_spec(self, ebs, snap_size, snap_id, device, image_default_type):
        vtype = ebs.get("VolumeType", image_default_type)
        size = ebs.get("VolumeSize", snap_size)
        if size is None:
            raise err("InvalidBlockDeviceMapping",
                      f"The request must contain the parameter size or "
                      f"snapshotId for device {device}")
        if snap_size is not None and size < snap_size:
            raise err("InvalidBlockDeviceMapping",
                      f"Volume of size {size}GB is smaller than snapshot "
                      f"'{snap_id}', expect size >= {snap_size}GB")
        limits = {"gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384),
                  "io2": (4, 16384), "st1": (125, 16384), "sc1": (125, 16384),
                  "standard": (1, 1024)}
        if vtype not in limits:
            raise err("InvalidParameterValue",
                      f"Invalid value '{vtype}' for volumeType")
        lo, hi = limits[vtype]
        if not lo <= size <= hi:
            raise err("InvalidParameterValue",
                      f"Volume size {size} is out of range for {vtype} volumes "
                      f"({lo}-{hi} GiB)")
        iops = ebs.get("Iops")
        thr = ebs.get("Throughput")
        if vtype in ("io1", "io2"):
            if iops is None:
                raise err("InvalidParameterCombination",
                          f"The parameter iops must be specified for {vtype} volumes.")
            if not 100 <= iops <= 64000:
                raise err("InvalidParameterValue",
                          f"Volume iops of {iops} is out of range (100-64000)")
        elif vtype == "gp3":
            if iops is None:
                iops = 3000
            if not 3000 <= iops <= 16000:
                raise err("InvalidParameterValue",
                          f"Volume iops of {iops} is too high or too low; "
                          f"gp3 supports 3000-16000.")
            if iops > 500 * size:
                raise err("InvalidParameterValue",
                          f"Iops to volume size ratio of {iops / size:.1f} is too "
                          f"high; maximum is 500.")
        else:
            if iops is not None:
                raise err("InvalidParameterCombination",
                          f"The parameter iops is not supported for {vtype} volumes.")
            iops = max(100, min(16000, 3 * size)) if vtype == "gp2" else None
        if thr is not None and vtype != "gp3":
            raise err("InvalidParameterCombination",
                      f"The parameter throughput is not supported for {vtype} volumes.")
        if vtype == "gp3":
            thr = 125 if thr is None else thr
            if not 125 <= thr <= 1000:
                raise err("InvalidParameterValue",
                          f"Throughput of {thr} MiB/s is out of range (125-1000).")
        enc = ebs.get("Encrypted", False)
        kms = ebs.get("KmsKeyId")
        if kms and not enc:
            raise err("InvalidParameterDependency",
                      "The parameter KmsKeyId requires the parameter Encrypted "
                      "to be set.")
        return {"type": vtype, "size": size, "iops": iops, "thr": thr,
                "enc": enc, "kms": kms, "snap": snap_id,
                "dot": ebs.get("DeleteOnTermination", True)}

    def _block_devices(self, image, bdms):
        root = image["RootDeviceName"]
        specs = {}
        order = []
        for b in image["BlockDeviceMappings"]:
            if "Ebs" in b:
                e = b["Ebs"]
                specs[b["DeviceName"]] = ("image", e)
                order.append(b["DeviceName"])
        for b in bdms or []:
            dev = b.get("DeviceName")
            if not dev:
                raise err("MissingParameter",
                          "The request must contain the parameter "
                          "BlockDeviceMapping.DeviceName")
            if b.get("NoDevice") is not None:
                if dev == root:
                    raise err("InvalidBlockDeviceMapping",
                              "The root device cannot be suppressed")
                specs.pop(dev, None)
                continue
            if "VirtualName" in b:
                continue
            if "Ebs" not in b:
                raise err("InvalidBlockDeviceMapping",
                          f"Missing Ebs for device {dev}")
            if dev not in order:
                order.append(dev)
            specs[dev] = ("req", b["Ebs"])
        out = []
        img_map = {b["DeviceName"]: b["Ebs"] for b in image["BlockDeviceMappings"]
                   if "Ebs" in b}
        for dev in order:
            if dev not in specs:
                continue
            src, e = specs[dev]
            ie = img_map.get(dev)
            snap_size = ie["VolumeSize"] if ie else None
            snap_id = ie["SnapshotId"] if ie else e.get("SnapshotId")
            merged = dict(ie or {})
            if src == "req":
                merged.update(e)
            default_type = (ie or {}).get("VolumeType", "gp2")
            spec = self._volume_spec(merged, snap_size, snap_id, dev, default_type)
            spec["device"] = dev
            out.append(spec)
        return out

    def op_RunInstances(self, ctx, p):
        reg = ctx.reg
        token = p.get("ClientToken")
        if token is not None:
            if len(token) > 64:
                raise err("InvalidParameterValue",
                          "Value for parameter clientToken is too long (max 64)")
            fp = json.dumps({k: v for k, v in p.items() if k != "DryRun"},
                            sort_keys=True, default=str)
            prev = reg.client_tokens.get(token)
            if prev is not None:
                if prev[0] != fp:
                    raise err("IdempotentParameterMismatch",
                              f"Arguments on this idempotent request are "
                              f"inconsistent with arguments used in previous "
                              f"request(s) for client token '{token}'.")
                return self.view_reservation(reg, reg.reservations[prev[1]])
        if "LaunchTemplate" in p:
            raise err("InvalidParameterValue",
                      "Launch templates are not supported by this endpoint")
        if "ImageId" not in p:
            raise err("MissingParameter",
                      "The request must contain the parameter ImageId")
        self.check_id("ami", p["ImageId"])
        image = reg.images.get(p["ImageId"])
        if image is None:
            raise self.not_found("ami", p["ImageId"])
        mn, mx = p["MinCount"], p["MaxCount"]
        if mn < 1 or mx < 1:
            raise err("InvalidParameterValue",
                      "Value (0) for parameter minCount/maxCount is invalid. "
                      "Must be at least 1")
        if mn > mx:
            raise err("InvalidParameterValue",
                      f"Value ({mn}) for parameter minCount is invalid. Must be "
                      f"less than or equal to maxCount ({mx})")
        itype = p.get("InstanceType", "m1.small")
        arch = self._instance_arch(itype)
        if arch != image["Architecture"]:
            raise err("InvalidParameterValue",
                      f"The architecture '{arch}' of the specified instance type "
                      f"does not match the architecture '{image['Architecture']}' "
                      f"of the specified AMI. Specify an instance type and an AMI "
                      f"that have matching architectures, and try again.")
        key = None
        if "KeyName" in p:
            key = next((k for k in live(reg.keypairs)
                        if k["KeyName"] == p["KeyName"]), None)
            if key is None:
                raise err("InvalidKeyPair.NotFound",
                          f"The key pair '{p['KeyName']}' does not exist")
        nis = p.get("NetworkInterfaces") or []
        if len(nis) > 1:
            raise err("InvalidParameterValue",
                      "Only one network interface is supported by this endpoint")
        ni = nis[0] if nis else {}
        if ni and ("SubnetId" in p or "SecurityGroupIds" in p):
            raise err("InvalidParameterCombination",
                      "Network interfaces and an instance-level subnet ID or "
                      "security groups may not be specified on the same request")
        if ni and ni.get("DeviceIndex", 0) != 0:
            raise err("InvalidParameterValue",
                      "The primary network interface must have DeviceIndex 0")
        subnet_id = p.get("SubnetId") or ni.get("SubnetId")
        zone = (p.get("Placement") or {}).get("AvailabilityZone")
        if zone is not None and zone not in reg.zones:
            raise err("InvalidParameterValue",
                      f"Invalid availability zone: [{zone}]")
        if subnet_id:
            sub = self.get(reg, "subnet", subnet_id)
            if zone is not None and zone != sub["AvailabilityZone"]:
                raise err("InvalidParameterValue",
                          f"The specified availability zone {zone} does not match "
                          f"the subnet's availability zone "
                          f"{sub['AvailabilityZone']}")
        else:
            dv = next((v for v in live(reg.vpcs) if v["IsDefault"]), None)
            if dv is None:
                raise err("VPCIdNotSpecified", "No default VPC for this user")
            cands = [s for s in live(reg.subnets) if s["VpcId"] == dv["VpcId"]
                     and s["DefaultForAz"] and (zone is None or s["AvailabilityZone"] == zone)]
            if not cands:
                raise err("MissingInput", "No subnets found for the default VPC")
            sub = cands[0]
        vid = sub["VpcId"]
        group_ids = list(p.get("SecurityGroupIds") or ni.get("Groups") or [])
        for gid in group_ids:
            g = self.get(reg, "sg", gid)
            if g["VpcId"] != vid:
                raise err("InvalidParameter",
                          f"Security group {gid} and subnet {sub['SubnetId']} "
                          f"belong to different networks.")
        for name in p.get("SecurityGroups") or []:
            if not sub["DefaultForAz"] and not reg.vpcs[vid]["IsDefault"]:
                raise err("InvalidParameterCombination",
                          "The parameter groupName cannot be used with the "
                          "parameter subnet")
            g = next((g for g in live(reg.sgs) if g["VpcId"] == vid
                      and g["GroupName"] == name), None)
            if g is None:
                raise err("InvalidGroup.NotFound",
                          f"The security group '{name}' does not exist in VPC "
                          f"'{vid}'")
            group_ids.append(g["GroupId"])
        if not group_ids:
            group_ids = [self.default_sg(reg, vid)["GroupId"]]
        group_ids = list(dict.fromkeys(group_ids))
        if len(group_ids) > 5:
            raise err("SecurityGroupsPerInstanceLimitExceeded",
                      "The maximum number of security groups per interface has "
                      "been reached.")
        user_data = p.get("UserData")
        if user_data is not None:
            try:
                raw = base64.b64decode(user_data, validate=True)
            except (binascii.Error, ValueError):
                raise err("InvalidParameterValue",
                          "Invalid BASE64 encoding of user data.") from None
            if len(raw) > 16384:
                raise err("InvalidParameterValue",
                          f"User data is limited to 16384 bytes (got {len(raw)})")
        mo = p.get("MetadataOptions") or {}
        hop = mo.get("HttpPutResponseHopLimit", 1)
        if not 1 <= hop <= 64:
            raise err("InvalidParameterValue",
                      f"The HttpPutResponseHopLimit value {hop} is not valid. "
                      f"Specify a value between 1 and 64.")
        bdev = self._block_devices(image, p.get("BlockDeviceMappings"))
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, TAG_RESOURCE_TYPES_RUN, {})
        active = sum(1 for i in reg.instances.values()
                     if i["_state"] in ("pending", "running"))
        if active + mn > INSTANCE_LIMIT:
            raise err("InstanceLimitExceeded",
                      f"You have requested more instances ({active + mn}) than "
                      f"your current instance limit of {INSTANCE_LIMIT} allows "
                      f"for the specified instance type.")
        count = min(mx, INSTANCE_LIMIT - active)
        if "PrivateIpAddress" in p and count > 1:
            raise err("InvalidParameterCombination",
                      "Cannot specify PrivateIpAddress with more than one instance")
        assoc_public = ni.get("AssociatePublicIpAddress")
        if assoc_public is None:
            assoc_public = sub["MapPublicIpOnLaunch"]
        rid = "r-" + self.new_id("x")[2:]
        t = now()
        vis = self.visible_at()
        instances = []
        for idx in range(count):
            iid = self.new_id("i")
            priv = self._alloc_private_ip(sub, p.get("PrivateIpAddress") or
                                          ni.get("PrivateIpAddress"))
            host = None
            hostname = "ip-" + priv.replace(".", "-")
            host = Host(iid, hostname, self.hosts_dir)
            threading.Thread(target=host.generate_keys, daemon=True).start()
            vols = []
            for spec in bdev:
                vol = self._create_volume(reg, spec, sub["AvailabilityZone"], iid, t)
                vols.append(vol)
            inst = {
                "InstanceId": iid, "ImageId": image["ImageId"],
                "InstanceType": itype, "SubnetId": sub["SubnetId"],
                "VpcId": vid, "_zone": sub["AvailabilityZone"],
                "_state": "pending", "_launch": t,
                "_running_at": t + self.opts.boot_seconds,
                "_terminated_at": None, "_key": key["KeyName"] if key else None,
                "_key_public": key["_public"] if key else None,
                "_groups": group_ids, "_private_ip": priv, "_public_ip": None,
                "_want_public": bool(assoc_public), "_eip": None,
                "_arch": arch, "_user_data": user_data, "_index": idx,
                "_reservation": rid, "_client_token": token,
                "_volumes": [v["VolumeId"] for v in vols],
                "_eni": self.new_id("eni"),
                "_eni_attach": "eni-attach-" + self.new_id("x")[2:],
                "_mac": "02:%02x:%02x:%02x:%02x:%02x" % tuple(
                    self.id_rng.getrandbits(8) for _ in range(5)),
                "_metadata": {
                    "HttpTokens": mo.get("HttpTokens", "optional"),
                    "HttpPutResponseHopLimit": hop,
                    "HttpEndpoint": mo.get("HttpEndpoint", "enabled"),
                    "HttpProtocolIpv6": mo.get("HttpProtocolIpv6", "disabled"),
                    "InstanceMetadataTags": mo.get("InstanceMetadataTags", "disabled"),
                },
                "_disable_api_termination": p.get("DisableApiTermination", False),
                "_shutdown_behavior": p.get("InstanceInitiatedShutdownBehavior", "stop"),
                "_ebs_optimized": p.get("EbsOptimized", False),
                "_host": host, "_hostname": hostname,
                "_visible_at": vis, "_created": t,
            }
            reg.instances[iid] = inst
            instances.append(inst)
            if host is not None and key is not None:
                host.set_authorized([(key["_public"], None)])
            elif host is not None:
                host.set_authorized([])
        vols = [reg.volumes[v] for i in instances for v in i["_volumes"]]
        self.apply_tag_specs(specs, TAG_RESOURCE_TYPES_RUN,
                             {"instance": instances, "volume": vols,
                              "network-interface": []})
        res = {"ReservationId": rid, "_instances": [i["InstanceId"] for i in instances]}
        reg.reservations[rid] = res
        if token is not None:
            fp = json.dumps({k: v for k, v in p.items() if k != "DryRun"},
                            sort_keys=True, default=str)
            reg.client_tokens[token] = (fp, rid)
        return self.view_reservation(reg, res)

    def _create_volume(self, reg, spec, zone, iid, t):
        vid = self.new_id("vol")
        kms = spec["kms"]
        if spec["enc"] and not kms:
            kms = (f"arn:aws:kms:{reg.name}:{self.account}:key/"
                   f"{hashlib.sha256(reg.name.encode()).hexdigest()[:8]}-aws-ebs")
        vol = {"VolumeId": vid, "Size": spec["size"], "SnapshotId": spec["snap"] or "",
               "AvailabilityZone": zone, "_type": spec["type"],
               "_iops": spec["iops"], "_thr": spec["thr"], "_enc": spec["enc"],
               "_kms": kms if spec["enc"] else None, "_instance": iid,
               "_device": spec["device"], "_dot": spec["dot"], "_state": "in-use",
               "_attach_time": t, "_visible_at": self.visible_at(), "_created": t}
        reg.volumes[vid] = vol
        return vol

    def op_ModifyVolume(self, ctx, p):
        reg = ctx.reg
        v = self.get(reg, "vol", p["VolumeId"])
        t = now()
        mod = v.get("_mod")
        if mod is not None:
            state = self._mod_state(mod, t)
            if state in ("modifying", "optimizing"):
                raise err("IncorrectModificationState",
                          f"Volume {v['VolumeId']} is already being modified.")
            if t < mod["start"] + self.opts.volume_modification_cooldown:
                raise err("VolumeModificationRateExceeded",
                          "You've reached the maximum modification rate per "
                          "volume limit. Wait at least 6 hours between "
                          "modifications per EBS volume.")
        if p.get("MultiAttachEnabled"):
            raise err("InvalidParameterValue",
                      "Multi-Attach is not supported by this endpoint")
        size = p.get("Size", v["Size"])
        if size < v["Size"]:
            raise err("InvalidParameterValue",
                      f"New size cannot be smaller than existing size "
                      f"({size} < {v['Size']})")
        vtype = p.get("VolumeType", v["_type"])
        ebs = {"VolumeType": vtype, "VolumeSize": size,
               "Encrypted": v["_enc"]}
        if "Iops" in p:
            ebs["Iops"] = p["Iops"]
        elif vtype == v["_type"] and vtype in ("gp3", "io1", "io2"):
            ebs["Iops"] = v["_iops"]
        if "Throughput" in p:
            ebs["Throughput"] = p["Throughput"]
        elif vtype == v["_type"] == "gp3":
            ebs["Throughput"] = v["_thr"]
        spec = self._volume_spec(ebs, None, None, v.get("_device") or "", vtype)
        if (spec["size"], spec["type"], spec["iops"], spec["thr"]) == \
                (v["Size"], v["_type"], v["_iops"], v["_thr"]):
            raise err("InvalidParameterValue",
                      f"New configuration for volume {v['VolumeId']} is the "
                      f"same as the existing one.")
        mod = {"start": t, "orig": (v["Size"], v["_type"], v["_iops"], v["_thr"])}
        v["_mod"] = mod
        v["Size"], v["_type"], v["_iops"], v["_thr"] = \
            spec["size"], spec["type"], spec["iops"], spec["thr"]
        return {"VolumeModification": self.view_modification(v, t)}

    @staticmethod
    def _mod_state(mod, t):
        age = t - mod["start"]
        return "modifying" if age < 1.0 else "optimizing" if age < 3.0 else "completed"

    def view_modification(self, v, t):
        mod = v["_mod"]
        state = self._mod_state(mod, t)
        o_size, o_type, o_iops, o_thr = mod["orig"]
        out = {"VolumeId": v["VolumeId"], "ModificationState": state,
               "TargetSize": v["Size"], "TargetVolumeType": v["_type"],
               "TargetIops": v["_iops"], "TargetThroughput": v["_thr"],
               "TargetMultiAttachEnabled": False,
               "OriginalSize": o_size, "OriginalVolumeType": o_type,
               "OriginalIops": o_iops, "OriginalThroughput": o_thr,
               "OriginalMultiAttachEnabled": False,
               "Progress": {"modifying": 0, "optimizing": 50}.get(state, 100),
               "StartTime": mod["start"]}
        if state == "completed":
            out["EndTime"] = mod["start"] + 3.0
        return out

    def op_DescribeVolumesModifications(self, ctx, p):
        reg = ctx.reg
        t = now()
        ids = p.get("VolumeIds")
        if ids:
            vols = []
            for vid in ids:
                v = self.get(reg, "vol", vid)
                if v.get("_mod") is None:
                    raise err("InvalidVolumeModification.NotFound",
                              f"Modification for volume '{vid}' does not exist.")
                vols.append(v)
        else:
            vols = [v for v in live(reg.volumes) if v.get("_mod") is not None]
        fm = {"volume-id": lambda v: v["VolumeId"],
              "modification-state": lambda v: self._mod_state(v["_mod"], t),
              "target-size": lambda v: str(v["Size"]),
              "target-volume-type": lambda v: v["_type"]}
        items = apply_filters(vols, p.get("Filters"), fm, tags=False)
        page, token = paginate(ctx, items, p, "VolumeIds")
        return {"VolumesModifications": [self.view_modification(v, t) for v in page],
                "NextToken": token}

    def view_volume(self, v):
        att = []
        if v["_instance"]:
            att = [{"AttachTime": v["_attach_time"], "Device": v["_device"],
                    "InstanceId": v["_instance"], "State": "attached",
                    "VolumeId": v["VolumeId"],
                    "DeleteOnTermination": v["_dot"]}]
        return {"VolumeId": v["VolumeId"], "Size": v["Size"],
                "SnapshotId": v["SnapshotId"],
                "AvailabilityZone": v["AvailabilityZone"], "State": v["_state"],
                "CreateTime": v["_created"], "Attachments": att,
                "VolumeType": v["_type"], "Iops": v["_iops"],
                "Throughput": v["_thr"], "Encrypted": v["_enc"],
                "KmsKeyId": v["_kms"], "MultiAttachEnabled": False,
                "Tags": tag_list(self.tags_of(v))}

    def op_DescribeVolumes(self, ctx, p):
        fm = {
            "volume-id": lambda v: v["VolumeId"],
            "attachment.instance-id": lambda v: v["_instance"],
            "attachment.device": lambda v: v["_device"] if v["_instance"] else None,
            "attachment.status": lambda v: "attached" if v["_instance"] else None,
            "attachment.delete-on-termination": lambda v: bool_s(v["_dot"]) if v["_instance"] else None,
            "status": lambda v: v["_state"],
            "size": lambda v: str(v["Size"]),
            "volume-type": lambda v: v["_type"],
            "availability-zone": lambda v: v["AvailabilityZone"],
            "encrypted": lambda v: bool_s(v["_enc"]),
            "snapshot-id": lambda v: v["SnapshotId"],
        }
        items = self.select(ctx.reg, "vol", p.get("VolumeIds"), p.get("Filters"), fm)
        page, token = paginate(ctx, items, p, "VolumeIds")
        return {"Volumes": [self.view_volume(v) for v in page], "NextToken": token}

    def _become_running(self, reg, inst):
        inst["_state"] = "running"
        if inst["_want_public"] and not inst["_public_ip"] and not inst["_eip"]:
            inst["_public_ip"] = self._alloc_public_ip()
        inst["_booted_at"] = now()

    def _become_stopped(self, reg, inst):
        inst["_state"] = "stopped"
        host = inst.get("_host")
        if host is not None:
            addrs = list(host.procs)
            for a in addrs:
                threading.Thread(target=host.stop_sshd, args=(a,), daemon=True).start()
        inst["_public_ip"] = None      # released; an Elastic IP stays
        inst["_booted_at"] = None

    def _instances_for(self, reg, ids):
        out, missing = [], []
        for iid in ids:
            self.check_id("i", iid)
            i = reg.instances.get(iid)
            if i is None:
                missing.append(iid)
            else:
                out.append(i)
        if missing:
            raise err("InvalidInstanceID.NotFound",
                      KINDS["i"][2].format(", ".join(missing)))
        return out

    def op_StopInstances(self, ctx, p):
        reg = ctx.reg
        insts = self._instances_for(reg, p["InstanceIds"])
        if p.get("Hibernate"):
            raise err("UnsupportedHibernationConfiguration",
                      "The instance is not configured for hibernation.")
        for i in insts:
            if i["_state"] not in ("running", "stopping", "stopped"):
                raise err("IncorrectInstanceState",
                          f"This instance '{i['InstanceId']}' is not in a state "
                          f"from which it can be stopped.")
        out = []
        t = now()
        for i in insts:
            prev = i["_state"]
            if prev == "running":
                i["_state"] = "stopping"
                i["_stopped_at"] = t + self.opts.terminate_seconds
                i["_reason"] = time.strftime(
                    "User initiated (%Y-%m-%d %H:%M:%S GMT)", time.gmtime(t))
            out.append({"InstanceId": i["InstanceId"],
                        "PreviousState": {"Code": STATE_CODES[prev], "Name": prev},
                        "CurrentState": {"Code": STATE_CODES[i["_state"]],
                                         "Name": i["_state"]}})
        return {"StoppingInstances": out}

    def op_StartInstances(self, ctx, p):
        reg = ctx.reg
        insts = self._instances_for(reg, p["InstanceIds"])
        for i in insts:
            if i["_state"] not in ("stopped", "pending", "running"):
                raise err("IncorrectInstanceState",
                          f"The instance '{i['InstanceId']}' is not in a state "
                          f"from which it can be started.")
        out = []
        t = now()
        for i in insts:
            prev = i["_state"]
            if prev == "stopped":
                i["_state"] = "pending"
                i["_running_at"] = t + self.opts.boot_seconds
                i["_reason"] = ""
            out.append({"InstanceId": i["InstanceId"],
                        "PreviousState": {"Code": STATE_CODES[prev], "Name": prev},
                        "CurrentState": {"Code": STATE_CODES[i["_state"]],
                                         "Name": i["_state"]}})
        return {"StartingInstances": out}

    def op_ModifyInstanceMetadataOptions(self, ctx, p):
        reg = ctx.reg
        i = self.get(reg, "i", p["InstanceId"])
        if i["_state"] in ("shutting-down", "terminated"):
            raise err("IncorrectInstanceState",
                      f"The instance '{i['InstanceId']}' is not in a valid state "
                      f"for this operation.")
        hop = p.get("HttpPutResponseHopLimit")
        if hop is not None and not 1 <= hop <= 64:
            raise err("InvalidParameterValue",
                      f"The HttpPutResponseHopLimit value {hop} is not valid. "
                      f"Specify a value between 1 and 64.")
        for k in ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint",
                  "HttpProtocolIpv6", "InstanceMetadataTags"):
            if k in p:
                i["_metadata"][k] = p[k]
        i["_metadata_pending_until"] = now() + 1.0
        return {"InstanceId": i["InstanceId"],
                "InstanceMetadataOptions": dict(i["_metadata"], State="pending")}

    def _become_terminated(self, reg, inst):
        inst["_state"] = "terminated"
        host = inst.get("_host")
        if host is not None:
            threading.Thread(target=host.stop_all, daemon=True).start()
        inst["_public_ip"] = None
        sub = reg.subnets.get(inst["SubnetId"])
        if sub is not None:
            sub["_used_ips"].discard(inst["_private_ip"])
        if inst["_eip"]:
            a = reg.addresses.get(inst["_eip"])
            if a is not None:
                a["_instance"] = None
                a["_assoc"] = None
            inst["_eip"] = None
        for vid in inst["_volumes"]:
            v = reg.volumes.get(vid)
            if v is None:
                continue
            if v["_dot"]:
                v["_state"] = "deleted"
                v["_deleted"] = True
            else:
                v["_state"] = "available"
                v["_instance"] = None

    def public_ip(self, reg, inst):
        if inst["_eip"]:
            a = reg.addresses.get(inst["_eip"])
            if a is not None:
                return a["PublicIp"]
        return inst["_public_ip"]

    def view_instance(self, reg, inst):
        st = inst["_state"]
        vpc = reg.vpcs.get(inst["VpcId"])
        dns_host = vpc is not None and vpc["_dns_hostnames"]
        pub = self.public_ip(reg, inst) if st != "terminated" else None
        suffix = "ec2.internal" if reg.name == "us-east-1" else f"{reg.name}.compute.internal"
        pdns = f"{inst['_hostname']}.{suffix}" if st != "terminated" else ""
        pubdns = ""
        if pub and dns_host:
            dom = "compute-1.amazonaws.com" if reg.name == "us-east-1" \
                else f"{reg.name}.compute.amazonaws.com"
            pubdns = f"ec2-{pub.replace('.', '-')}.{dom}"
        groups = []
        for gid in inst["_groups"]:
            g = reg.sgs.get(gid)
            groups.append({"GroupId": gid, "GroupName": g["GroupName"] if g else ""})
        out = {
            "InstanceId": inst["InstanceId"], "ImageId": inst["ImageId"],
            "State": {"Code": STATE_CODES[st], "Name": st},
            "PrivateDnsName": pdns, "PublicDnsName": pubdns,
            "StateTransitionReason": inst.get("_reason", ""),
            "KeyName": inst["_key"], "AmiLaunchIndex": inst["_index"],
            "ProductCodes": [], "InstanceType": inst["InstanceType"],
            "LaunchTime": inst["_launch"],
            "Placement": {"AvailabilityZone": inst["_zone"], "GroupName": "",
                          "Tenancy": "default"},
            "Monitoring": {"State": "disabled"},
            "Architecture": inst["_arch"], "RootDeviceType": "ebs",
            "RootDeviceName": "/dev/sda1", "ClientToken": inst["_client_token"] or "",
            "EbsOptimized": inst["_ebs_optimized"], "EnaSupport": True,
            "Hypervisor": "xen", "VirtualizationType": "hvm",
            "SecurityGroups": groups, "Tags": tag_list(self.tags_of(inst)),
            "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
            "HibernationOptions": {"Configured": False},
            "MetadataOptions": dict(inst["_metadata"], State="pending" if (
                st == "pending" or inst.get("_metadata_pending_until")) else "applied"),
            "EnclaveOptions": {"Enabled": False},
            "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
            "UsageOperationUpdateTime": inst["_launch"],
            "PrivateDnsNameOptions": {"HostnameType": "ip-name",
                                      "EnableResourceNameDnsARecord": False,
                                      "EnableResourceNameDnsAAAARecord": False},
            "MaintenanceOptions": {"AutoRecovery": "default"},
            "BlockDeviceMappings": [],
            "NetworkInterfaces": [],
        }
        if st in ("shutting-down", "terminated", "stopping", "stopped"):
            out["StateReason"] = {"Code": "Client.UserInitiatedShutdown",
                                  "Message": "Client.UserInitiatedShutdown: User "
                                             "initiated shutdown"}
        elif st == "pending":
            out["StateReason"] = {"Code": "pending", "Message": "pending"}
        if st != "terminated":
            out["SubnetId"] = inst["SubnetId"]
            out["VpcId"] = inst["VpcId"]
            out["PrivateIpAddress"] = inst["_private_ip"]
            out["SourceDestCheck"] = True
            if pub:
                out["PublicIpAddress"] = pub
            for vid in inst["_volumes"]:
                v = reg.volumes.get(vid)
                if v is None or v["_instance"] != inst["InstanceId"]:
                    continue
                out["BlockDeviceMappings"].append({
                    "DeviceName": v["_device"],
                    "Ebs": {"AttachTime": v["_attach_time"],
                            "DeleteOnTermination": v["_dot"],
                            "Status": "attached", "VolumeId": vid}})
            assoc = None
            if pub:
                assoc = {"IpOwnerId": self.account if inst["_eip"] else "amazon",
                         "PublicDnsName": pubdns, "PublicIp": pub}
            eni = {
                "Attachment": {"AttachTime": inst["_launch"],
                               "AttachmentId": inst["_eni_attach"],
                               "DeleteOnTermination": True, "DeviceIndex": 0,
                               "Status": "attached", "NetworkCardIndex": 0},
                "Description": "", "Groups": groups, "Ipv6Addresses": [],
                "MacAddress": inst["_mac"],
                "NetworkInterfaceId": inst["_eni"], "OwnerId": self.account,
                "PrivateDnsName": pdns, "PrivateIpAddress": inst["_private_ip"],
                "PrivateIpAddresses": [{"Primary": True, "PrivateDnsName": pdns,
                                        "PrivateIpAddress": inst["_private_ip"],
                                        "Association": assoc}],
                "SourceDestCheck": True,
                "Status": "in-use", "SubnetId": inst["SubnetId"],
                "VpcId": inst["VpcId"], "InterfaceType": "interface",
                "Association": assoc,
            }
            out["NetworkInterfaces"].append(eni)
        return out

    def view_reservation(self, reg, res):
        insts = [reg.instances[i] for i in res["_instances"]]
        return {"ReservationId": res["ReservationId"], "OwnerId": self.account,
                "Groups": [],
                "Instances": [self.view_instance(reg, i) for i in insts]}

    def _instance_filters(self, reg):
        def pub(i):
            return self.public_ip(reg, i) if i["_state"] != "terminated" else None

        return {
            "instance-id": lambda i: i["InstanceId"],
            "instance-state-name": lambda i: i["_state"],
            "instance-state-code": lambda i: str(STATE_CODES[i["_state"]]),
            "vpc-id": lambda i: i["VpcId"] if i["_state"] != "terminated" else None,
            "subnet-id": lambda i: i["SubnetId"] if i["_state"] != "terminated" else None,
            "image-id": lambda i: i["ImageId"],
            "instance-type": lambda i: i["InstanceType"],
            "key-name": lambda i: i["_key"],
            "availability-zone": lambda i: i["_zone"],
            "private-ip-address": lambda i: i["_private_ip"] if i["_state"] != "terminated" else None,
            "ip-address": pub,
            "network-interface.addresses.association.public-ip": pub,
            "instance.group-id": lambda i: i["_groups"],
            "group-id": lambda i: i["_groups"],
            "reservation-id": lambda i: i["_reservation"],
            "client-token": lambda i: i["_client_token"],
            "architecture": lambda i: i["_arch"],
            "private-dns-name": lambda i: i["_hostname"],
            "owner-id": lambda i: self.account,
            "root-device-type": lambda i: "ebs",
        }

    def op_DescribeInstances(self, ctx, p):
        reg = ctx.reg
        items = self.select(reg, "i", p.get("InstanceIds"), p.get("Filters"),
                            self._instance_filters(reg))
        page, token = paginate(ctx, items, p, "InstanceIds")
        by_res = {}
        order = []
        for i in page:
            rid = i["_reservation"]
            if rid not in by_res:
                by_res[rid] = []
                order.append(rid)
            by_res[rid].append(i)
        out = []
        for rid in order:
            out.append({"ReservationId": rid, "OwnerId": self.account,
                        "Groups": [],
                        "Instances": [self.view_instance(reg, i) for i in by_res[rid]]})
        return {"Reservations": out, "NextToken": token}

    def op_DescribeInstanceStatus(self, ctx, p):
        reg = ctx.reg
        include_all = p.get("IncludeAllInstances", False)
        t = now()

        def status(i):
            if i["_state"] != "running":
                return "not-applicable"
            ready = i.get("_booted_at", t) + self.opts.boot_seconds / 2.0
            return "ok" if t >= ready else "initializing"

        fm = self._instance_filters(reg)
        fm = {k: fm[k] for k in ("instance-id", "instance-state-name",
                                 "instance-state-code", "availability-zone")}
        fm["instance-status.status"] = status
        fm["system-status.status"] = status
        items = self.select(reg, "i", p.get("InstanceIds"), p.get("Filters"), fm)
        if not include_all:
            items = [i for i in items if i["_state"] == "running"]
        page, token = paginate(ctx, items, p, "InstanceIds")
        out = []
        for i in page:
            s = status(i)
            det = [{"Name": "reachability",
                    "Status": "passed" if s == "ok" else
                    ("initializing" if s == "initializing" else "passed")}]
            out.append({
                "AvailabilityZone": i["_zone"], "InstanceId": i["InstanceId"],
                "InstanceState": {"Code": STATE_CODES[i["_state"]], "Name": i["_state"]},
                "InstanceStatus": {"Status": s, "Details": det if s != "not-applicable" else []},
                "SystemStatus": {"Status": s, "Details": det if s != "not-applicable" else []},
                "Events": [],
            })
        return {"InstanceStatuses": out, "NextToken": token}

    def op_TerminateInstances(self, ctx, p):
        reg = ctx.reg
        ids = p["InstanceIds"]
        insts = []
        missing = []
        for iid in ids:
            self.check_id("i", iid)
            i = reg.instances.get(iid)
            if i is None:
                missing.append(iid)
            else:
                insts.append(i)
        if missing:
            raise err("InvalidInstanceID.NotFound",
                      KINDS["i"][2].format(", ".join(missing)))
        for i in insts:
            if i["_disable_api_termination"] and i["_state"] != "terminated":
                raise err("OperationNotPermitted",
                          f"The instance '{i['InstanceId']}' may not be terminated. "
                          f"Modify its 'disableApiTermination' instance attribute "
                          f"and try again.")
        out = []
        t = now()
        for i in insts:
            prev = i["_state"]
            if prev not in ("shutting-down", "terminated"):
                i["_state"] = "shutting-down"
                i["_terminated_at"] = t + self.opts.terminate_seconds
                i["_reason"] = time.strftime(
                    "User initiated (%Y-%m-%d %H:%M:%S GMT)", time.gmtime(t))
            out.append({"InstanceId": i["InstanceId"],
                        "PreviousState": {"Code": STATE_CODES[prev], "Name": prev},
                        "CurrentState": {"Code": STATE_CODES[i["_state"]],
                                         "Name": i["_state"]}})
        return {"TerminatingInstances": out}

    def op_DescribeInstanceAttribute(self, ctx, p):
        reg = ctx.reg
        i = self.get(reg, "i", p["InstanceId"])
        a = p["Attribute"]
        out = {"InstanceId": i["InstanceId"]}
        if a == "userData":
            out["UserData"] = {"Value": i["_user_data"]} if i["_user_data"] else {}
        elif a == "instanceType":
            out["InstanceType"] = {"Value": i["InstanceType"]}
        elif a == "disableApiTermination":
            out["DisableApiTermination"] = {"Value": i["_disable_api_termination"]}
        elif a == "disableApiStop":
            out["DisableApiStop"] = {"Value": False}
        elif a == "instanceInitiatedShutdownBehavior":
            out["InstanceInitiatedShutdownBehavior"] = {"Value": i["_shutdown_behavior"]}
        elif a == "rootDeviceName":
            out["RootDeviceName"] = {"Value": "/dev/sda1"}
        elif a == "blockDeviceMapping":
            out["BlockDeviceMappings"] = self.view_instance(reg, i)["BlockDeviceMappings"]
        elif a == "groupSet":
            out["Groups"] = [{"GroupId": g} for g in i["_groups"]]
        elif a == "sourceDestCheck":
            out["SourceDestCheck"] = {"Value": True}
        elif a == "ebsOptimized":
            out["EbsOptimized"] = {"Value": i["_ebs_optimized"]}
        elif a == "enaSupport":
            out["EnaSupport"] = {"Value": True}
        elif a == "sriovNetSupport":
            out["SriovNetSupport"] = {"Value": "simple"}
        elif a == "productCodes":
            out["ProductCodes"] = []
        elif a == "enclaveOptions":
            out["EnclaveOptions"] = {"Enabled": False}
        else:
            raise err("InvalidParameterValue",
                      f"Value ({a}) for parameter attribute is invalid. "
                      f"Attribute is not supported for this instance.")
        return out

    def op_GetConsoleOutput(self, ctx, p):
        reg = ctx.reg
        i = self.get(reg, "i", p["InstanceId"])
        out = {"InstanceId": i["InstanceId"], "Timestamp": now()}
        host = i.get("_host")
        booted = i.get("_booted_at")
        if host is not None and booted is not None and host.error is None:
            text = host.console_text(booted, i["_private_ip"],
                                     keys=not self.quiet_console)
            out["Output"] = base64.b64encode(text.encode()).decode()
        return out

    # ================================================================ EIPs

    def view_address(self, reg, a):
        out = {"PublicIp": a["PublicIp"], "AllocationId": a["AllocationId"],
               "Domain": "vpc", "PublicIpv4Pool": "amazon",
               "NetworkBorderGroup": reg.name, "Tags": tag_list(self.tags_of(a))}
        if a["_instance"]:
            inst = reg.instances[a["_instance"]]
            out.update({"InstanceId": a["_instance"], "AssociationId": a["_assoc"],
                        "NetworkInterfaceId": inst["_eni"],
                        "NetworkInterfaceOwnerId": self.account,
                        "PrivateIpAddress": inst["_private_ip"]})
        return out

    def op_AllocateAddress(self, ctx, p):
        reg = ctx.reg
        if p.get("Domain", "vpc") != "vpc":
            raise err("InvalidParameterValue", "Only the vpc domain is supported")
        if "Address" in p or "PublicIpv4Pool" in p:
            raise err("InvalidParameterValue",
                      "BYOIP address pools are not supported by this endpoint")
        if len(list(live(reg.addresses))) >= EIP_LIMIT:
            raise err("AddressLimitExceeded",
                      "The maximum number of addresses has been reached.")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"elastic-ip"}, {})
        self.eip_counter += 1
        if self.eip_counter > 254:
            raise err("AddressLimitExceeded",
                      "The simulator ran out of loopback Elastic IP addresses")
        aid = self.new_id("eipalloc")
        a = {"AllocationId": aid, "PublicIp": f"127.0.1.{self.eip_counter}",
             "_instance": None, "_assoc": None, "_visible_at": self.visible_at(),
             "_created": now()}
        reg.addresses[aid] = a
        self.apply_tag_specs(specs, {"elastic-ip"}, {"elastic-ip": [a]})
        return {"PublicIp": a["PublicIp"], "AllocationId": aid, "Domain": "vpc",
                "PublicIpv4Pool": "amazon", "NetworkBorderGroup": reg.name}

    def _find_address(self, reg, p):
        if "AllocationId" in p:
            return self.get(reg, "eipalloc", p["AllocationId"])
        if "PublicIp" in p:
            for a in live(reg.addresses):
                if a["PublicIp"] == p["PublicIp"]:
                    return a
            raise err("InvalidAddress.NotFound",
                      f"Address '{p['PublicIp']}' not found.")
        raise err("MissingParameter",
                  "The request must contain the parameter AllocationId")

    def op_DescribeAddresses(self, ctx, p):
        reg = ctx.reg
        fm = {"allocation-id": lambda a: a["AllocationId"],
              "association-id": lambda a: a["_assoc"],
              "instance-id": lambda a: a["_instance"],
              "public-ip": lambda a: a["PublicIp"],
              "domain": lambda a: "vpc",
              "network-border-group": lambda a: reg.name}
        items = self.select(reg, "eipalloc", p.get("AllocationIds"),
                            p.get("Filters"), fm)
        ips = p.get("PublicIps")
        if ips:
            have = {a["PublicIp"]: a for a in items}
            for ip in ips:
                if ip not in have:
                    raise err("InvalidAddress.NotFound",
                              f"Address '{ip}' not found.")
            items = [have[ip] for ip in dict.fromkeys(ips)]
        return {"Addresses": [self.view_address(reg, a) for a in items]}

    def op_AssociateAddress(self, ctx, p):
        reg = ctx.reg
        a = self._find_address(reg, p)
        if "NetworkInterfaceId" in p and "InstanceId" not in p:
            inst = next((i for i in reg.instances.values()
                         if i["_eni"] == p["NetworkInterfaceId"]
                         and i["_state"] != "terminated"), None)
            if inst is None:
                raise err("InvalidNetworkInterfaceID.NotFound",
                          f"The networkInterface ID '{p['NetworkInterfaceId']}' "
                          f"does not exist")
        elif "InstanceId" in p:
            inst = self.get(reg, "i", p["InstanceId"])
        else:
            raise err("MissingParameter",
                      "The request must contain the parameter instanceId or "
                      "networkInterfaceId")
        if inst["_state"] not in ("running", "stopped"):
            raise err("IncorrectInstanceState",
                      f"The instance '{inst['InstanceId']}' is not in a valid "
                      f"state for this operation.")
        igw = any(g["_vpc"] == inst["VpcId"] for g in live(reg.igws))
        if not igw:
            raise err("Gateway.NotAttached",
                      f"Network {inst['VpcId']} is not attached to any internet "
                      f"gateway")
        if a["_instance"] and a["_instance"] != inst["InstanceId"]:
            if p.get("AllowReassociation") is False or "AllowReassociation" not in p:
                raise err("Resource.AlreadyAssociated",
                          f"resource {a['AllocationId']} is already associated "
                          f"with associate-id {a['_assoc']}")
            self._disassociate(reg, a)
        if inst["_eip"] and inst["_eip"] != a["AllocationId"]:
            old = reg.addresses.get(inst["_eip"])
            if old is not None:
                self._disassociate(reg, old)
        a["_instance"] = inst["InstanceId"]
        a["_assoc"] = "eipassoc-" + self.new_id("x")[2:]
        inst["_eip"] = a["AllocationId"]
        host = inst.get("_host")
        if self.opts.ssh_instances and host is not None and host.error is None \
                and inst["_state"] == "running":
            threading.Thread(target=host.start_sshd,
                             args=(a["PublicIp"], self.opts.ssh_port),
                             daemon=True).start()
        return {"AssociationId": a["_assoc"]}

    def _disassociate(self, reg, a):
        inst = reg.instances.get(a["_instance"])
        if inst is not None:
            inst["_eip"] = None
            host = inst.get("_host")
            if host is not None:
                threading.Thread(target=host.stop_sshd, args=(a["PublicIp"],),
                                 daemon=True).start()
        a["_instance"] = None
        a["_assoc"] = None

    def op_DisassociateAddress(self, ctx, p):
        reg = ctx.reg
        if "AssociationId" in p:
            aid = p["AssociationId"]
            self.check_id("eipassoc", aid)
            a = next((x for x in live(reg.addresses) if x["_assoc"] == aid), None)
            if a is None:
                raise self.not_found("eipassoc", aid)
        elif "PublicIp" in p:
            a = self._find_address(reg, p)
            if not a["_assoc"]:
                raise err("InvalidAssociationID.NotFound",
                          f"The address '{p['PublicIp']}' is not associated")
        else:
            raise err("MissingParameter",
                      "The request must contain the parameter AssociationId")
        self._disassociate(reg, a)
        return {}

    def op_ReleaseAddress(self, ctx, p):
        reg = ctx.reg
        a = self._find_address(reg, p)
        if a["_instance"]:
            raise err("InvalidIPAddress.InUse",
                      f"Address {a['PublicIp']} is in use.")
        a["_deleted"] = True
        return {}

    # ================================================================ tags

    def _taggable(self, reg, rid):
        prefix = rid.split("-", 1)[0] if "-" in rid else ""
        if prefix not in RESOURCE_TYPES or reg.coll(prefix) is None:
            raise err("InvalidID", f'The ID \'{rid}\' is not valid')
        if prefix == "ami":
            raise err("InvalidAMIID.Unavailable" if rid in reg.images
                      else "InvalidAMIID.NotFound",
                      f"The image id '[{rid}]' is not owned by this account")
        return self.get(reg, prefix, rid), RESOURCE_TYPES[prefix]

    def op_CreateTags(self, ctx, p):
        reg = ctx.reg
        check_tags(p["Tags"])
        targets = [self._taggable(reg, r)[0] for r in p["Resources"]]
        for res in targets:
            tags = self.tags_of(res)
            for t in p["Tags"]:
                tags[t["Key"]] = t.get("Value", "")
            if len(tags) > 50:
                raise err("TagLimitExceeded",
                          "The maximum number of Tags for a resource has been "
                          "reached.")
        return {}

    def op_DeleteTags(self, ctx, p):
        reg = ctx.reg
        targets = [self._taggable(reg, r)[0] for r in p["Resources"]]
        for res in targets:
            tags = self.tags_of(res)
            if not p.get("Tags"):
                tags.clear()
                continue
            for t in p["Tags"]:
                k = t.get("Key")
                if k in tags and ("Value" not in t or tags[k] == t["Value"]):
                    del tags[k]
        return {}

    def op_DescribeTags(self, ctx, p):
        reg = ctx.reg
        rows = []
        t = now()
        for prefix, rtype in RESOURCE_TYPES.items():
            coll = reg.coll(prefix)
            if coll is None or prefix == "ami":
                continue
            for res in coll.values():
                if res.get("_deleted") or res.get("_visible_at", 0) > t:
                    continue
                rid = {
                    "vpc": "VpcId", "subnet": "SubnetId", "igw": "InternetGatewayId",
                    "rtb": "RouteTableId", "sg": "GroupId", "i": "InstanceId",
                    "vol": "VolumeId", "eipalloc": "AllocationId",
                    "key": "KeyPairId"}[prefix]
                for k, v in self.tags_of(res).items():
                    rows.append({"Key": k, "Value": v, "ResourceId": res[rid],
                                 "ResourceType": rtype})
        fm = {"key": lambda r: r["Key"], "value": lambda r: r["Value"],
              "resource-id": lambda r: r["ResourceId"],
              "resource-type": lambda r: r["ResourceType"]}
        items = apply_filters(rows, p.get("Filters"), fm, tags=False)
        page, token = paginate(ctx, items, p, None)
        return {"Tags": page, "NextToken": token}

    # ================================================================ misc

    def op_DescribeAvailabilityZones(self, ctx, p):
        reg = ctx.reg
        names = p.get("ZoneNames")
        zids = p.get("ZoneIds")
        zones = [{"State": "available", "OptInStatus": "opt-in-not-required",
                  "Messages": [], "RegionName": reg.name, "ZoneName": z,
                  "ZoneId": reg.zone_ids[z], "GroupName": reg.name,
                  "NetworkBorderGroup": reg.name, "ZoneType": "availability-zone"}
                 for z in reg.zones]
        for n in names or []:
            if n not in reg.zones:
                raise err("InvalidParameterValue",
                          f"Invalid availability zone: [{n}]")
        for n in zids or []:
            if n not in reg.zone_ids.values():
                raise err("InvalidParameterValue", f"Invalid zone id: [{n}]")
        if names:
            zones = [z for z in zones if z["ZoneName"] in names]
        if zids:
            zones = [z for z in zones if z["ZoneId"] in zids]
        fm = {"zone-name": lambda z: z["ZoneName"], "zone-id": lambda z: z["ZoneId"],
              "region-name": lambda z: z["RegionName"], "state": lambda z: z["State"],
              "zone-type": lambda z: z["ZoneType"], "group-name": lambda z: z["GroupName"],
              "opt-in-status": lambda z: z["OptInStatus"],
              "network-border-group": lambda z: z["NetworkBorderGroup"]}
        return {"AvailabilityZones": apply_filters(zones, p.get("Filters"), fm,
                                                   tags=False)}

    def op_DescribeRegions(self, ctx, p):
        from .auth import REGIONS
        regs = [{"RegionName": r, "Endpoint": f"ec2.{r}.amazonaws.com",
                 "OptInStatus": "opt-in-not-required"} for r in REGIONS]
        names = p.get("RegionNames")
        if names:
            regs = [r for r in regs if r["RegionName"] in names]
        fm = {"region-name": lambda r: r["RegionName"],
              "endpoint": lambda r: r["Endpoint"],
              "opt-in-status": lambda r: r["OptInStatus"]}
        return {"Regions": apply_filters(regs, p.get("Filters"), fm, tags=False)}

    def op_DescribeAccountAttributes(self, ctx, p):
        reg = ctx.reg
        dv = next((v for v in live(reg.vpcs) if v["IsDefault"]), None)
        attrs = {
            "supported-platforms": ["VPC"],
            "default-vpc": [dv["VpcId"] if dv else "none"],
            "max-instances": [str(INSTANCE_LIMIT)],
            "vpc-max-security-groups-per-interface": ["5"],
            "max-elastic-ips": ["5"],
            "vpc-max-elastic-ips": [str(EIP_LIMIT)],
        }
        names = p.get("AttributeNames")
        if names:
            attrs = {k: v for k, v in attrs.items() if k in names}
        return {"AccountAttributes": [
            {"AttributeName": k,
             "AttributeValues": [{"AttributeValue": x} for x in v]}
            for k, v in attrs.items()]}

    # ================================================================ state

    def dump(self):
        """Every resource, as JSON-able data (GET /_awssim/state)."""
        out = {}
        with self.lock:
            for name, reg in self.regions.items():
                r = {}
                r["vpcs"] = [self.view_vpc(v) for v in live(reg.vpcs)]
                r["subnets"] = [self.view_subnet(reg, s) for s in live(reg.subnets)]
                r["internet_gateways"] = [self.view_igw(g) for g in live(reg.igws)]
                r["route_tables"] = [self.view_rtb(reg, x) for x in live(reg.rtbs)]
                r["security_groups"] = [self.view_sg(g) for g in live(reg.sgs)]
                r["key_pairs"] = [self.view_key(k, True) for k in live(reg.keypairs)]
                r["instances"] = []
                for i in reg.instances.values():
                    v = self.view_instance(reg, i)
                    v["UserData"] = i["_user_data"]
                    host = i.get("_host")
                    v["SshListening"] = sorted(host.procs) if host else []
                    r["instances"].append(v)
                r["volumes"] = [self.view_volume(v) for v in reg.volumes.values()
                                if not v.get("_deleted")]
                r["addresses"] = [self.view_address(reg, a) for a in live(reg.addresses)]
                out[name] = r
        return out


def clean_stale_hosts_dirs():
    """Remove host-key directories left by simulators that were killed.

    They are named awssim-hosts-PID-*; a directory whose simulator process
    no longer exists (SIGKILL leaves no chance to clean up) is removed. Its
    sshds died with the simulator (PR_SET_PDEATHSIG)."""
    tmp = tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        m = re.fullmatch(r"awssim-hosts-(\d+)-\w+", name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                alive = b"awssim" in f.read()
        except OSError:
            alive = False
        if not alive:
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)


def live(coll):
    return [r for r in coll.values() if not r.get("_deleted")]


def parse_cidr(cidr, pname, strict=True):
    try:
        net = ipaddress.IPv4Network(cidr, strict=True)
    except (ValueError, TypeError):
        if not strict:
            try:
                return ipaddress.IPv4Network(cidr, strict=False)
            except (ValueError, TypeError):
                pass
        raise err("InvalidParameterValue",
                  f"Value ({cidr}) for parameter {pname} is invalid. This is not "
                  f"a valid CIDR block.") from None
    if "/" not in cidr:
        raise err("InvalidParameterValue",
                  f"Value ({cidr}) for parameter {pname} is invalid. This is not "
                  f"a valid CIDR block.")
    return net


def apply_filters(items, filters, fmap, tags=True):
    if not filters:
        return list(items)
    for f in filters:
        name = f.get("Name")
        if name is None:
            raise err("InvalidParameterValue",
                      "The filter 'null' is invalid")
        if name in fmap or (tags and (name.startswith("tag:") or
                                      name in ("tag-key", "tag-value"))):
            continue
        # AWS has filters the simulator does not; say which in its log, so a
        # valid AWS filter is not mistaken for a client bug.
        log(f"note: filter '{name}' is not simulated (answered as invalid); "
            f"simulated here: {', '.join(sorted(fmap))}")
        raise err("InvalidParameterValue", f"The filter '{name}' is invalid")
    out = []
    for it in items:
        ok = True
        for f in filters:
            name = f["Name"]
            vals = f.get("Values") or []
            if name.startswith("tag:"):
                tags_ = it.get("_tags", {})
                k = name[4:]
                have = [tags_[k]] if k in tags_ else []
            elif name == "tag-key":
                have = list(it.get("_tags", {}).keys())
            elif name == "tag-value":
                have = list(it.get("_tags", {}).values())
            else:
                v = fmap[name](it)
                have = v if isinstance(v, list) else [v]
            have = [h for h in have if h is not None]
            if not any(wildcard(pat, h) for pat in vals for h in have):
                ok = False
                break
        if ok:
            out.append(it)
    return out


def paginate(ctx, items, p, ids_param):
    """MaxResults/NextToken paging as EC2 does it."""
    mx = p.get("MaxResults")
    tok = p.get("NextToken")
    if mx is None and tok is None:
        return items, None
    if ids_param and p.get(ids_param) and mx is not None:
        raise err("InvalidParameterCombination",
                  f"The parameter {ids_param} cannot be used with the parameter "
                  f"maxResults")
    lo, hi = PAGE_LIMITS.get(ctx.action, (5, 1000))
    if mx is None:
        mx = hi
    if not lo <= mx <= hi:
        raise err("InvalidParameterValue",
                  f"Value ( {mx} ) for parameter maxResults is invalid. "
                  f"Parameter must be between {lo} and {hi}.")
    start = 0
    if tok:
        try:
            raw = base64.urlsafe_b64decode(tok.encode()).decode()
            action, off, digest = raw.split(":")
            start = int(off)
            if action != ctx.action or digest != _page_digest(action, start):
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise err("InvalidPaginationToken",
                      f"Invalid pagination token: {tok}") from None
    page = items[start:start + mx]
    nxt = None
    if start + mx < len(items):
        off = start + mx
        nxt = base64.urlsafe_b64encode(
            f"{ctx.action}:{off}:{_page_digest(ctx.action, off)}".encode()).decode()
    return page, nxt


def _page_digest(action, off):
    return hashlib.sha256(f"awssim:{action}:{off}".encode()).hexdigest()[:16]


# ---------------------------------------------------------------- key pairs


def _ssh_string(data, pos):
    n = int.from_bytes(data[pos:pos + 4], "big")
    return data[pos + 4:pos + 4 + n], pos + 4 + n


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der(tag, body):
    return bytes([tag]) + _der_len(len(body)) + body


def _der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return _der(0x02, b)


def parse_public_key(material, min_rsa_bits=1024):
    """(type, AWS fingerprint, normalized line) of an OpenSSH public key."""
    bad = err("InvalidKey.Format",
              "Key is not in valid OpenSSH public key format")
    try:
        text = material.decode("ascii").strip()
    except UnicodeDecodeError:
        raise bad from None
    parts = text.split()
    if len(parts) < 2:
        raise bad
    kind = parts[0]
    try:
        blob = base64.b64decode(parts[1], validate=True)
        name, pos = _ssh_string(blob, 0)
    except (binascii.Error, ValueError):
        raise bad from None
    if name.decode(errors="replace") != kind:
        raise bad
    if kind == "ssh-rsa":
        e, pos = _ssh_string(blob, pos)
        n, pos = _ssh_string(blob, pos)
        if not n or not e:
            raise bad
        bits = len(n.lstrip(b"\x00")) * 8
        if bits < min_rsa_bits - 8:
            raise err("InvalidKey.Format",
                      f"Key length must be at least {min_rsa_bits} bits for RSA keys")
        rsa = _der(0x30, _der_int(n) + _der_int(e))
        alg = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
        spki = _der(0x30, alg + _der(0x03, b"\x00" + rsa))
        d = hashlib.md5(spki).hexdigest()
        fp = ":".join(d[i:i + 2] for i in range(0, 32, 2))
        return "rsa", fp, f"{kind} {parts[1]}"
    if kind == "ssh-ed25519":
        k, pos = _ssh_string(blob, pos)
        if len(k) != 32:
            raise bad
        fp = base64.b64encode(hashlib.sha256(blob).digest()).decode()
        return "ed25519", fp, f"{kind} {parts[1]}"
    raise bad


def generate_key(ktype, name):
    """(private PEM, public line, fingerprint) for CreateKeyPair."""
    with tempfile.TemporaryDirectory(prefix="awssim-key-") as d:
        path = os.path.join(d, "k")
        args = ["-t", "rsa", "-b", "2048", "-m", "PEM"] if ktype == "rsa" \
            else ["-t", "ed25519"]
        subprocess.run(["ssh-keygen", "-q", *args, "-N", "", "-C", name,
                        "-f", path], check=True, capture_output=True)
        with open(path, encoding="ascii") as f:
            private = f.read()
        with open(path + ".pub", encoding="ascii") as f:
            pub = f.read().split()
        line = f"{pub[0]} {pub[1]}"
        if ktype == "rsa":
            der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt",
                                  "-inform", "PEM", "-outform", "DER", "-in", path],
                                 check=True, capture_output=True).stdout
            d = hashlib.sha1(der).hexdigest()
            fp = ":".join(d[i:i + 2] for i in range(0, 40, 2))
        else:
            blob = base64.b64decode(pub[1])
            fp = base64.b64encode(hashlib.sha256(blob).digest()).decode()
    return private, line, fp
