"""Calls about the region as a whole: tags across every resource type,
zones, regions, account attributes.
"""

from .addresses import EIP_LIMIT
from .core import RESOURCE_TYPES, apply_filters, check_tags, err, live, now, paginate
from .instances import INSTANCE_LIMIT


class AccountOps:
    """EC2 handlers that span resource families."""

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
                    "key": "KeyPairId", "snap": "SnapshotId"}[prefix]
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
        from ..auth import REGIONS
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
