"""EBS volumes: block device mappings at launch, Create/Attach/Detach/
Delete, ModifyVolume, Describe, and the directory that stands for each
volume's data.

The data model: every volume has a directory, <hosts dir>/volumes/<vol-id>/,
made empty when the volume is created (or as a copy of its snapshot's, see
snapshots.py) and removed when it is deleted. While the volume is attached,
the instance's host shows it as <host dir>/dev/<device> (for /dev/sdf:
dev/sdf), a symbolic link to the volume's directory, so a file written there
over SSH is in the volume and follows it from instance to instance. A
snapshot copies the directory when it is created (point in time, as EBS).
"""

import hashlib
import os
import re
import shutil
import stat

from ..hosts import log
from .core import apply_filters, bool_s, err, live, now, paginate, tag_list

# device names EBS takes on Linux instances (/dev/sdf, xvdf, /dev/sda1, ...)
DEVICE = re.compile(r"^(/dev/)?(sd[a-z]{1,2}|xvd[a-z]{1,2}|hd[a-z])([1-9][0-9]?)?$")

# every simulated image's root device (images.py)
ROOT_DEVICE = "/dev/sda1"

# Nitro instances take 27 EBS volumes besides the network interface
ATTACHMENT_LIMIT = 27

TAG_RESOURCE_TYPES_VOLUME = {"volume"}


def device_key(device):
    """/dev/sdf and sdf name the same attachment point."""
    return device[5:] if device.startswith("/dev/") else device


def copy_data(src, dst):
    """Copy a volume's directory: files, directories and symbolic links
    with their modes, times and (when permitted) owners, so a database's
    files come back as its server wants them; sockets, FIFOs and device
    nodes are skipped (a block copy would carry them, but nothing here
    needs them). Raises OSError."""
    os.makedirs(dst, exist_ok=True)
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        out = dst if rel == "." else os.path.join(dst, rel)
        for name in dirs + files:
            s_path = os.path.join(root, name)
            d_path = os.path.join(out, name)
            st = os.lstat(s_path)
            if stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(s_path), d_path)
            elif stat.S_ISDIR(st.st_mode):
                os.mkdir(d_path)
            elif stat.S_ISREG(st.st_mode):
                shutil.copyfile(s_path, d_path, follow_symlinks=False)
            else:
                continue
            _copy_owner(st, d_path)
    # modes and times last (children first), so a read-only directory is
    # made read-only once it is filled; os.walk does not follow links
    for root, _, files in os.walk(src, topdown=False):
        rel = os.path.relpath(root, src)
        out = dst if rel == "." else os.path.join(dst, rel)
        for name in files:
            d_path = os.path.join(out, name)
            if os.path.isfile(d_path) and not os.path.islink(d_path):
                shutil.copystat(os.path.join(root, name), d_path)
        shutil.copystat(root, out)


def _copy_owner(st, path):
    try:
        os.lchown(path, st.st_uid, st.st_gid)
    except PermissionError:   # not root: the copy is the simulator user's
        pass


class VolumeOps:
    """EC2 handlers for EBS volumes."""

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


    # ------------------------------------------------------------ data

    def _volume_dir(self, vid):
        return os.path.join(self.hosts_dir, "volumes", vid)

    def _make_volume_dir(self, vol, source=None):
        """The volume's data directory, empty or a copy of `source`;
        False (and the reason logged) when the copy failed."""
        path = self._volume_dir(vol["VolumeId"])
        shutil.rmtree(path, ignore_errors=True)
        vol["_dir"] = path
        try:
            os.makedirs(path)
            if source is not None:
                copy_data(source, path)
        except OSError as e:
            log(f"{vol['VolumeId']}: could not copy the data of "
                f"{vol['SnapshotId']}: {e}")
            return False
        return True

    def _drop_volume_dir(self, vol):
        if vol.get("_dir"):
            shutil.rmtree(vol["_dir"], ignore_errors=True)

    def _device_link(self, reg, vol):
        inst = reg.instances.get(vol["_instance"] or "")
        host = inst.get("_host") if inst else None
        dev = vol["_device"] or ""
        if host is None or not DEVICE.match(dev):
            return None   # a launch-time device name EBS would not take
        return os.path.join(host.dev_dir, device_key(dev).replace("/", "_"))

    def _expose(self, reg, vol):
        """Show an attached volume on its instance's host."""
        link = self._device_link(reg, vol)
        if link is None or not vol.get("_dir"):
            return
        try:
            os.makedirs(os.path.dirname(link), exist_ok=True)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(vol["_dir"], link)
        except OSError as e:
            log(f"{vol['VolumeId']}: could not show it at {link}: {e}")

    def _unexpose(self, reg, vol):
        link = self._device_link(reg, vol)
        if link is not None and os.path.islink(link) and \
                os.readlink(link) == vol.get("_dir"):
            try:
                os.unlink(link)
            except OSError:
                pass

    # ------------------------------------------------------------ lifecycle

    def _new_volume(self, reg, spec, zone, t, snap_id, state):
        vid = self.new_id("vol")
        kms = spec["kms"]
        if spec["enc"] and not kms:
            kms = self.default_kms_key(reg)
        vol = {"VolumeId": vid, "Size": spec["size"], "SnapshotId": snap_id or "",
               "AvailabilityZone": zone, "_type": spec["type"],
               "_iops": spec["iops"], "_thr": spec["thr"], "_enc": spec["enc"],
               "_kms": kms if spec["enc"] else None, "_instance": None,
               "_device": None, "_dot": False, "_att": None, "_state": state,
               "_attach_time": None, "_due": None,
               "_visible_at": self.visible_at(), "_created": t}
        reg.volumes[vid] = vol
        return vol

    def default_kms_key(self, reg):
        """The account's aws/ebs key in the region."""
        return (f"arn:aws:kms:{reg.name}:{self.account}:key/"
                f"{hashlib.sha256(reg.name.encode()).hexdigest()[:8]}-aws-ebs")

    def _create_volume(self, reg, spec, zone, iid, t):
        """A volume made by RunInstances, attached from the start."""
        vol = self._new_volume(reg, spec, zone, t, spec["snap"], "in-use")
        vol.update({"_instance": iid, "_device": spec["device"],
                    "_dot": spec["dot"], "_att": "attached", "_attach_time": t})
        self._make_volume_dir(vol)
        return vol

    def op_CreateVolume(self, ctx, p):
        reg = ctx.reg
        key, fp, prev = self.client_token(reg, "CreateVolume", p)
        if prev is not None:
            return self.view_volume(reg.volumes[prev])
        zone = p["AvailabilityZone"]
        if zone not in reg.zones:
            raise err("InvalidZone.NotFound", f"The zone '{zone}' does not exist.")
        if p.get("MultiAttachEnabled"):
            raise err("InvalidParameterValue",
                      "Multi-Attach is not supported by this endpoint")
        if "OutpostArn" in p:
            raise err("InvalidParameterValue",
                      "Outposts are not supported by this endpoint")
        snap_id = p.get("SnapshotId")
        snap = self.snapshot_source(reg, snap_id) if snap_id else None
        size = p.get("Size")
        if size is None and snap is None:
            raise err("MissingParameter",
                      "The request must contain the parameter size or snapshotId")
        if snap is not None:
            if snap["state"] != "completed":
                raise err("IncorrectState",
                          f"Snapshot is in invalid state - {snap['state']}")
            if size is None:
                size = snap["size"]
            elif size < snap["size"]:
                raise err("InvalidParameterValue",
                          f"Volume of size {size}GB is smaller than snapshot "
                          f"'{snap_id}', expect size >= {snap['size']}GB")
        ebs = {k: p[k] for k in ("VolumeType", "Iops", "Throughput", "KmsKeyId")
               if k in p}
        ebs["VolumeSize"] = size
        # a volume from an encrypted snapshot is encrypted, whatever is asked
        ebs["Encrypted"] = p.get("Encrypted", False) or bool(snap and snap["enc"])
        if snap is not None and snap["enc"] and "KmsKeyId" not in ebs:
            ebs["KmsKeyId"] = snap["kms"]
        spec = self._volume_spec(ebs, None, None, "", "gp2")
        self.apply_tag_specs(p.get("TagSpecifications"),
                             TAG_RESOURCE_TYPES_VOLUME, {})
        t = now()
        vol = self._new_volume(reg, spec, zone, t, snap_id, "creating")
        vol["_due"] = t + self.opts.volume_seconds
        if not self._make_volume_dir(vol, snap["dir"] if snap else None):
            vol["_state"] = "error"
            vol["_due"] = None
        self.apply_tag_specs(p.get("TagSpecifications"),
                             TAG_RESOURCE_TYPES_VOLUME, {"volume": [vol]})
        if key is not None:
            reg.idempotency[key] = (fp, vol["VolumeId"])
        return self.view_volume(vol)

    def _attachment(self, v, state=None):
        return {"AttachTime": v["_attach_time"], "Device": v["_device"],
                "InstanceId": v["_instance"], "State": state or v["_att"],
                "VolumeId": v["VolumeId"]}

    def op_AttachVolume(self, ctx, p):
        reg = ctx.reg
        v = self.get(reg, "vol", p["VolumeId"])
        inst = self.get(reg, "i", p["InstanceId"])
        vid, iid, dev = v["VolumeId"], inst["InstanceId"], p["Device"]
        if not DEVICE.match(dev):
            raise err("InvalidParameterValue",
                      f"Value ({dev}) for parameter device is invalid. {dev} is "
                      f"not a valid EBS device name.")
        if v["_instance"]:
            raise err("VolumeInUse", f"{vid} is already attached to an instance")
        if v["_state"] != "available":
            raise err("IncorrectState", f"{vid} is not 'available'.")
        if inst["_state"] not in ("running", "stopped"):
            raise err("IncorrectState", f"Instance '{iid}' is not 'running'.")
        if v["AvailabilityZone"] != inst["_zone"]:
            raise err("InvalidVolume.ZoneMismatch",
                      f"The volume '{vid}' is not in the same availability zone "
                      f"as instance '{iid}'")
        attached = [reg.volumes[x] for x in inst["_volumes"]
                    if x in reg.volumes and reg.volumes[x]["_instance"] == iid]
        if any(device_key(a["_device"] or "") == device_key(dev) for a in attached):
            raise err("InvalidParameterValue",
                      f"Invalid value '{dev}' for unixDevice. Attachment point "
                      f"{dev} is already in use")
        if len(attached) >= ATTACHMENT_LIMIT:
            raise err("AttachmentLimitExceeded",
                      f"The instance '{iid}' has reached its limit of "
                      f"{ATTACHMENT_LIMIT} attached EBS volumes.")
        t = now()
        v.update({"_instance": iid, "_device": dev, "_dot": False,
                  "_att": "attaching", "_state": "in-use", "_attach_time": t,
                  "_due": t + self.opts.volume_seconds})
        inst["_volumes"].append(vid)
        return self._attachment(v)

    def op_DetachVolume(self, ctx, p):
        reg = ctx.reg
        v = self.get(reg, "vol", p["VolumeId"])
        vid = v["VolumeId"]
        if "InstanceId" in p:
            self.get(reg, "i", p["InstanceId"])
        if not v["_instance"]:
            raise err("IncorrectState",
                      f"Volume '{vid}' is in the '{v['_state']}' state.")
        iid = v["_instance"]
        if p.get("InstanceId", iid) != iid:
            raise err("InvalidAttachment.NotFound",
                      f"Volume '{vid}' is not attached to instance "
                      f"'{p['InstanceId']}'.")
        if "Device" in p and device_key(p["Device"]) != device_key(v["_device"]):
            raise err("InvalidAttachment.NotFound",
                      f"Attachment point {p['Device']} is not in use by volume "
                      f"'{vid}'.")
        inst = reg.instances[iid]
        if v["_device"] == ROOT_DEVICE and inst["_state"] != "stopped":
            raise err("IncorrectState",
                      f"Unable to detach root volume '{vid}' from instance "
                      f"'{iid}'")
        if v["_att"] != "detaching":
            # again while detaching (Force, or a retry): the same detach
            v["_att"] = "detaching"
            v["_due"] = now() + self.opts.volume_seconds
        return self._attachment(v)

    def op_DeleteVolume(self, ctx, p):
        reg = ctx.reg
        v = self.get(reg, "vol", p["VolumeId"])
        vid = v["VolumeId"]
        if v["_instance"]:
            raise err("VolumeInUse",
                      f"Volume {vid} is currently attached to {v['_instance']}")
        if v["_state"] not in ("available", "error"):
            raise err("IncorrectState",
                      f"The volume '{vid}' is in the '{v['_state']}' state.")
        v["_state"] = "deleting"
        v["_due"] = now() + self.opts.volume_seconds
        return {}

    def _detached(self, reg, v):
        inst = reg.instances.get(v["_instance"])
        self._unexpose(reg, v)
        if inst is not None and v["VolumeId"] in inst["_volumes"]:
            inst["_volumes"].remove(v["VolumeId"])
        v.update({"_instance": None, "_device": None, "_att": None,
                  "_attach_time": None, "_state": "available", "_due": None})

    def _tick_volumes(self, reg, t):
        """creating → available, attaching → attached, detaching →
        available, deleting → gone, each after --volume-seconds."""
        for v in reg.volumes.values():
            due = v.get("_due")
            if due is None or t < due or v.get("_deleted"):
                continue
            v["_due"] = None
            if v["_state"] == "creating":
                v["_state"] = "available"
            elif v["_state"] == "deleting":
                v["_state"] = "deleted"
                v["_deleted"] = True
                self._drop_volume_dir(v)
            elif v["_att"] == "attaching":
                v["_att"] = "attached"
                self._expose(reg, v)
            elif v["_att"] == "detaching":
                self._detached(reg, v)

    def release_volumes(self, reg, inst):
        """A terminated instance's volumes: deleted when DeleteOnTermination,
        else detached and available (as EC2 does with data volumes)."""
        for vid in list(inst["_volumes"]):
            v = reg.volumes.get(vid)
            if v is None or v["_instance"] != inst["InstanceId"]:
                continue
            self._detached(reg, v)
            if v["_dot"]:
                v["_state"] = "deleted"
                v["_deleted"] = True
                self._drop_volume_dir(v)
        inst["_volumes"] = []

    def has_root_volume(self, reg, inst):
        return any(reg.volumes[v]["_device"] == ROOT_DEVICE
                   and reg.volumes[v]["_instance"] == inst["InstanceId"]
                   and reg.volumes[v]["_att"] != "detaching"
                   for v in inst["_volumes"] if v in reg.volumes)

    def expose_volumes(self, reg, inst):
        for vid in inst["_volumes"]:
            v = reg.volumes.get(vid)
            if v is not None and v["_att"] == "attached":
                self._expose(reg, v)

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
            att = [dict(self._attachment(v), DeleteOnTermination=v["_dot"])]
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
            "attachment.status": lambda v: v["_att"] if v["_instance"] else None,
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
