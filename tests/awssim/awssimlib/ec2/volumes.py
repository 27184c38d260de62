"""EBS volumes: block device mappings at launch, ModifyVolume, Describe."""

import hashlib

from .core import apply_filters, bool_s, err, live, now, paginate, tag_list


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
