"""The EC2 simulator's core: state, regions, ids, lookups, filters, time.

State is kept per region (the region comes from the request's credential
scope, as on AWS). Resources are plain dicts; `view_*` functions turn them
into the botocore output shapes, which protocol.encode_response serializes
strictly against the model. Every handler runs under one lock; time-driven
changes (boot, termination, eventual consistency) are computed from the
clock in `tick`, which a background thread and every request call.

SimCore holds what every resource family shares; the families' handlers
(`op_<Action>`) live in the sibling modules and are mixed into `Sim` in
__init__.py.
"""

import base64
import binascii
import hashlib
import ipaddress
import json
import os
import random
import re
import shutil
import tempfile
import threading
import time

from .. import images as images_mod
from ..hosts import log
from ..protocol import AwsError

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
    "snap": ("InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed",
             "The snapshot '{}' does not exist."),
}

RESOURCE_TYPES = {
    "vpc": "vpc", "subnet": "subnet", "igw": "internet-gateway",
    "rtb": "route-table", "sg": "security-group", "i": "instance",
    "vol": "volume", "eipalloc": "elastic-ip", "key": "key-pair",
    "ami": "image", "eni": "network-interface", "snap": "snapshot",
}

DIRECTIONS = {"east": "e", "west": "w", "central": "c", "north": "n",
              "south": "s", "southeast": "se", "northeast": "ne",
              "southwest": "sw", "northwest": "nw"}

PAGE_LIMITS = {"DescribeRouteTables": (5, 100), "DescribeVolumes": (5, 500),
               "DescribeImages": (1, 1000)}


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
        self.snapshots = {}
        self.addresses = {}     # by AllocationId
        self.iip_assocs = {}    # IAM instance profile associations by id
        self.reservations = {}
        # (action, ClientToken) -> (fingerprint, id of what the call made)
        self.idempotency = {}
        self.images = {im["ImageId"]: im for im in images_mod.ubuntu_images(name)}
        self.zones = [f"{name}{c}" for c in "abc"]
        self.zone_ids = {z: f"{zone_id_prefix(name)}-az{i + 1}"
                         for i, z in enumerate(self.zones)}

    def coll(self, prefix):
        return {"vpc": self.vpcs, "subnet": self.subnets, "igw": self.igws,
                "rtb": self.rtbs, "sg": self.sgs, "i": self.instances,
                "vol": self.volumes, "eipalloc": self.addresses,
                "key": self.keypairs, "ami": self.images,
                "snap": self.snapshots}.get(prefix)


class SimCore:
    """State, ids, lookups and time shared by every resource family."""

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
            # the volumes' and snapshots' data (volumes.py) go with them
            for sub in ("volumes", "snapshots"):
                shutil.rmtree(os.path.join(self.hosts_dir, sub), ignore_errors=True)

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

    def client_token(self, reg, action, p):
        """EC2's ClientToken: (key, fingerprint, the id an earlier call with
        the same token and arguments made, or None); (None, None, None)
        without a token. Other arguments under the same token are
        IdempotentParameterMismatch. Record what the call makes with
        reg.idempotency[key] = (fingerprint, id)."""
        token = p.get("ClientToken")
        if token is None:
            return None, None, None
        if len(token) > 64:
            raise err("InvalidParameterValue",
                      "Value for parameter clientToken is too long (max 64)")
        key = (action, token)
        fp = json.dumps({k: v for k, v in p.items() if k != "DryRun"},
                        sort_keys=True, default=str)
        prev = reg.idempotency.get(key)
        if prev is None:
            return key, fp, None
        if prev[0] != fp:
            raise err("IdempotentParameterMismatch",
                      f"Arguments on this idempotent request are "
                      f"inconsistent with arguments used in previous "
                      f"request(s) for client token '{token}'.")
        return key, fp, prev[1]

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
        """Advance time-driven state (boot, termination, pushed keys,
        volume and snapshot states)."""
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
                self._tick_volumes(reg, t)
                self._tick_snapshots(reg, t)
        for inst, ip in starts:
            threading.Thread(target=self._start_sshd, args=(inst, ip),
                             daemon=True).start()

    def _start_sshd(self, inst, ip):
        host = inst["_host"]
        if ip:
            host.start_sshd(ip, self.opts.ssh_port)


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
                    v["DeviceDir"] = host.dev_dir if host else None
                    r["instances"].append(v)
                r["volumes"] = []
                for vol in live(reg.volumes):
                    v = self.view_volume(vol)
                    v["DataDir"] = vol.get("_dir")
                    r["volumes"].append(v)
                r["snapshots"] = []
                for snap in live(reg.snapshots):
                    v = self.view_snapshot(snap)
                    v["DataDir"] = snap["_dir"]
                    r["snapshots"].append(v)
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
