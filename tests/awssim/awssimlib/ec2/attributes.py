"""Instance attributes: DescribeInstanceAttribute, ModifyInstanceAttribute.

ModifyInstanceAttribute changes one attribute per call, as EC2 does; the
instance type, user data and EBS optimization only while the instance is
stopped (IncorrectInstanceState otherwise), so a type change is Stop →
Modify → Start and DescribeInstances shows the new type from then on.
"""

import base64
import re

from .core import err
from .volumes import device_key

# the structured parameters and the attribute names they change
FIELDS = {"InstanceType": "instanceType", "UserData": "userData",
          "DisableApiTermination": "disableApiTermination",
          "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
          "EbsOptimized": "ebsOptimized", "Groups": "groupSet",
          "BlockDeviceMappings": "blockDeviceMapping",
          "SourceDestCheck": "sourceDestCheck", "Kernel": "kernel",
          "Ramdisk": "ramdisk", "SriovNetSupport": "sriovNetSupport",
          "EnaSupport": "enaSupport", "DisableApiStop": "disableApiStop"}

# what the Attribute=NAME&Value=V form can set
VALUE_FORM = {"instanceType": "InstanceType", "userData": "UserData",
              "disableApiTermination": "DisableApiTermination",
              "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior",
              "ebsOptimized": "EbsOptimized"}

STOPPED_ONLY = {"instanceType", "userData", "ebsOptimized"}
NOT_SIMULATED = {"sourceDestCheck", "kernel", "ramdisk", "sriovNetSupport",
                 "enaSupport", "disableApiStop"}

INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


class AttributeOps:
    """EC2 handlers for instance attributes."""

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

    def op_ModifyInstanceAttribute(self, ctx, p):
        reg = ctx.reg
        i = self.get(reg, "i", p["InstanceId"])
        iid = i["InstanceId"]
        p = dict(p)
        if "Attribute" in p:
            attr = p.pop("Attribute")
            if attr not in VALUE_FORM:
                raise err("InvalidParameterCombination",
                          f"The attribute {attr} cannot be set with a value")
            if "Value" not in p:
                raise err("MissingParameter",
                          "The request must contain the parameter value")
            value = p.pop("Value")
            if attr in ("disableApiTermination", "ebsOptimized"):
                if value not in ("true", "false"):
                    raise err("InvalidParameterValue",
                              f"Value ({value}) for parameter {attr} is invalid.")
                value = value == "true"
            elif attr == "userData":
                try:
                    value = base64.b64decode(value, validate=True)
                except ValueError:
                    raise err("InvalidParameterValue",
                              "Invalid BASE64 encoding of user data.") from None
            if VALUE_FORM[attr] in p:
                raise err("InvalidParameterCombination",
                          f"Fields for multiple attribute types specified: "
                          f"{attr}, {attr}")
            p[VALUE_FORM[attr]] = {"Value": value}
        elif "Value" in p:
            raise err("MissingParameter",
                      "The request must contain the parameter attribute")
        given = [f for f in FIELDS if f in p]
        if not given:
            raise err("InvalidParameterCombination", "No attributes specified.")
        if len(given) > 1:
            raise err("InvalidParameterCombination",
                      f"Fields for multiple attribute types specified: "
                      f"{', '.join(FIELDS[f] for f in given)}")
        field = given[0]
        name = FIELDS[field]
        arg = p[field]
        if name in NOT_SIMULATED:
            raise err("UnsupportedOperation",
                      f"Modifying {name} is not supported by this endpoint")
        if i["_state"] in ("shutting-down", "terminated"):
            raise err("IncorrectInstanceState",
                      f"The instance '{iid}' is not in a valid state for this "
                      f"operation.")
        if name in STOPPED_ONLY and i["_state"] != "stopped":
            raise err("IncorrectInstanceState",
                      f"The instance '{iid}' is not in the 'stopped' state.")
        value = arg.get("Value") if isinstance(arg, dict) else arg
        if name == "instanceType":
            self._set_instance_type(i, value)
        elif name == "userData":
            raw = value or b""
            if len(raw) > 16384:
                raise err("InvalidParameterValue",
                          f"User data is limited to 16384 bytes (got {len(raw)})")
            i["_user_data"] = base64.b64encode(raw).decode() if raw else None
        elif name == "disableApiTermination":
            i["_disable_api_termination"] = bool(value)
        elif name == "ebsOptimized":
            i["_ebs_optimized"] = bool(value)
        elif name == "instanceInitiatedShutdownBehavior":
            if value not in ("stop", "terminate"):
                raise err("InvalidParameterValue",
                          f"Value ({value}) for parameter "
                          f"instanceInitiatedShutdownBehavior is invalid.")
            i["_shutdown_behavior"] = value
        elif name == "groupSet":
            self._set_groups(reg, i, value)
        elif name == "blockDeviceMapping":
            self._set_delete_on_termination(reg, i, value)
        return {}

    def _set_instance_type(self, i, itype):
        if not itype or not INSTANCE_TYPE.match(itype):
            raise err("InvalidInstanceAttributeValue",
                      f"The instanceType '{itype}' is not valid.")
        arch = self._instance_arch(itype)
        if arch != i["_arch"]:
            raise err("InvalidInstanceAttributeValue",
                      f"The instance type '{itype}' ({arch}) does not match "
                      f"the architecture '{i['_arch']}' of the instance's AMI.")
        i["InstanceType"] = itype

    def _set_groups(self, reg, i, group_ids):
        group_ids = list(dict.fromkeys(group_ids or []))
        if not group_ids:
            raise err("InvalidParameterValue",
                      "Value () for parameter groupId is invalid. The value "
                      "cannot be empty")
        for gid in group_ids:
            g = self.get(reg, "sg", gid)
            if g["VpcId"] != i["VpcId"]:
                raise err("InvalidGroup.NotFound",
                          f"You have specified two resources that belong to "
                          f"different networks: {gid} and {i['InstanceId']}.")
        if len(group_ids) > 5:
            raise err("SecurityGroupsPerInstanceLimitExceeded",
                      "The maximum number of security groups per interface has "
                      "been reached.")
        i["_groups"] = group_ids

    def _set_delete_on_termination(self, reg, i, mappings):
        attached = {}
        for vid in i["_volumes"]:
            v = reg.volumes.get(vid)
            if v is not None and v["_instance"] == i["InstanceId"]:
                attached[device_key(v["_device"])] = v
        changes = []
        for m in mappings:
            dev = m.get("DeviceName")
            if not dev:
                raise err("MissingParameter",
                          "The request must contain the parameter "
                          "BlockDeviceMapping.DeviceName")
            v = attached.get(device_key(dev))
            if v is None:
                raise err("InvalidInstanceAttributeValue",
                          f"No device is currently mapped at {dev}")
            ebs = m.get("Ebs") or {}
            if ebs.get("VolumeId") not in (None, v["VolumeId"]):
                raise err("InvalidInstanceAttributeValue",
                          f"Volume {ebs['VolumeId']} is not attached at {dev}")
            # EC2's default when the flag is left out is true
            changes.append((v, ebs.get("DeleteOnTermination", True)))
        for v, dot in changes:
            v["_dot"] = bool(dot)
