"""EBS snapshots: Create, Describe, Delete, and the data they keep.

A snapshot copies its volume's data directory (volumes.py) into
<hosts dir>/snapshots/<snap-id>/ when CreateSnapshot is called, which is
the point in time EBS snapshots too; it is `pending` for --snapshot-seconds
(Progress rising to 100%) and then `completed`, and only a completed
snapshot can be the source of CreateVolume. A copy that fails leaves the
snapshot in `error` with the reason in StateMessage.
"""

import os
import shutil

from ..hosts import log
from .core import err, now, paginate, tag_list
from .volumes import copy_data

TAG_RESOURCE_TYPES_SNAPSHOT = {"snapshot"}


class SnapshotOps:
    """EC2 handlers for EBS snapshots."""

    def snapshot_source(self, reg, snap_id):
        """What CreateVolume needs of a snapshot: one of the account's, or
        the root snapshot of a simulated public image (empty data)."""
        self.check_id("snap", snap_id)
        s = reg.snapshots.get(snap_id)
        if s is not None and not s.get("_deleted"):
            self.get(reg, "snap", snap_id)   # --consistency-mutations
            return {"state": s["_state"], "size": s["VolumeSize"],
                    "enc": s["_enc"], "kms": s["_kms"], "dir": s["_dir"]}
        for im in reg.images.values():
            for b in im["BlockDeviceMappings"]:
                e = b.get("Ebs")
                if e and e["SnapshotId"] == snap_id:
                    return {"state": "completed", "size": e["VolumeSize"],
                            "enc": e["Encrypted"], "kms": None, "dir": None}
        raise self.not_found("snap", snap_id)

    def op_CreateSnapshot(self, ctx, p):
        reg = ctx.reg
        v = self.get(reg, "vol", p["VolumeId"])
        vid = v["VolumeId"]
        if "OutpostArn" in p:
            raise err("InvalidParameterValue",
                      "Outposts are not supported by this endpoint")
        if v["_state"] not in ("available", "in-use"):
            raise err("IncorrectState",
                      f"Volume '{vid}' is in the '{v['_state']}' state.")
        desc = p.get("Description", "")
        if len(desc) > 255:
            raise err("InvalidParameterValue",
                      "Value for parameter description is too long (max 255)")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, TAG_RESOURCE_TYPES_SNAPSHOT, {})
        t = now()
        sid = self.new_id("snap")
        path = os.path.join(self.hosts_dir, "snapshots", sid)
        snap = {"SnapshotId": sid, "VolumeId": vid, "VolumeSize": v["Size"],
                "Description": desc, "_state": "pending", "_start": t,
                "_due": t + self.opts.snapshot_seconds, "_enc": v["_enc"],
                "_kms": v["_kms"], "_dir": path, "_message": None,
                "_visible_at": self.visible_at(), "_created": t}
        shutil.rmtree(path, ignore_errors=True)
        try:
            copy_data(v["_dir"], path)
        except OSError as e:
            log(f"{sid}: could not copy the data of {vid}: {e}")
            snap.update({"_state": "error", "_due": None,
                         "_message": f"The data of {vid} could not be read"})
        reg.snapshots[sid] = snap
        self.apply_tag_specs(specs, TAG_RESOURCE_TYPES_SNAPSHOT,
                             {"snapshot": [snap]})
        return self.view_snapshot(snap)

    def _tick_snapshots(self, reg, t):
        for s in reg.snapshots.values():
            if s["_due"] is not None and t >= s["_due"]:
                s["_state"] = "completed"
                s["_due"] = None

    def _progress(self, s):
        if s["_state"] == "completed":
            return "100%"
        if s["_state"] == "error" or not self.opts.snapshot_seconds:
            return "0%"
        done = (now() - s["_start"]) / self.opts.snapshot_seconds
        return f"{max(0, min(99, int(100 * done)))}%"

    def view_snapshot(self, s):
        out = {"SnapshotId": s["SnapshotId"], "VolumeId": s["VolumeId"],
               "VolumeSize": s["VolumeSize"], "Description": s["Description"],
               "State": s["_state"], "Progress": self._progress(s),
               "StartTime": s["_start"], "OwnerId": self.account,
               "Encrypted": s["_enc"], "StorageTier": "standard",
               "Tags": tag_list(self.tags_of(s))}
        if s["_enc"]:
            out["KmsKeyId"] = s["_kms"]
        if s["_message"]:
            out["StateMessage"] = s["_message"]
        return out

    def op_DescribeSnapshots(self, ctx, p):
        reg = ctx.reg
        fm = {
            "snapshot-id": lambda s: s["SnapshotId"],
            "volume-id": lambda s: s["VolumeId"],
            "status": lambda s: s["_state"],
            "description": lambda s: s["Description"],
            "encrypted": lambda s: "true" if s["_enc"] else "false",
            "owner-id": lambda s: self.account,
            "progress": self._progress,
            "volume-size": lambda s: str(s["VolumeSize"]),
            "storage-tier": lambda s: "standard",
        }
        items = self.select(reg, "snap", p.get("SnapshotIds"), p.get("Filters"), fm)
        owners = p.get("OwnerIds")
        if owners and "self" not in owners and self.account not in owners:
            # only the account's own snapshots are simulated: another
            # owner's (amazon, a Marketplace seller) has none here
            items = []
        page, token = paginate(ctx, items, p, "SnapshotIds")
        return {"Snapshots": [self.view_snapshot(s) for s in page],
                "NextToken": token}

    def op_DeleteSnapshot(self, ctx, p):
        reg = ctx.reg
        s = self.get(reg, "snap", p["SnapshotId"])
        # EC2 refuses only while a registered AMI uses the snapshot
        # (InvalidSnapshot.InUse); the simulator registers no images. Volumes
        # made from it keep their data, as on EBS.
        s["_deleted"] = True
        s["_due"] = None
        shutil.rmtree(s["_dir"], ignore_errors=True)
        return {}
