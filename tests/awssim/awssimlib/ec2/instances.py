"""Instances: launch, the state machine, Describe, console.

Instance attributes are attributes.py; block device mappings and EBS
volumes volumes.py; Elastic IPs addresses.py.
"""

import base64
import binascii
import ipaddress
import re
import threading
import time

from ..hosts import Host
from .core import KINDS, err, live, now, paginate, tag_list

INSTANCE_LIMIT = 20

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32,
               "terminated": 48, "stopping": 64, "stopped": 80}

ARM_TYPE = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)\.")

TAG_RESOURCE_TYPES_RUN = {"instance", "volume", "network-interface",
                          "spot-instances-request", "elastic-gpu"}


def user_initiated(t):
    """The StateTransitionReason of a stop or terminate the caller asked for."""
    return time.strftime("User initiated (%Y-%m-%d %H:%M:%S GMT)", time.gmtime(t))


class InstanceOps:
    """EC2 handlers for instances."""

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


    def op_RunInstances(self, ctx, p):
        reg = ctx.reg
        token_key, fp, prev = self.client_token(reg, "RunInstances", p)
        if prev is not None:
            return self.view_reservation(reg, reg.reservations[prev])
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
        profile = self.resolve_profile(p["IamInstanceProfile"]) \
            if "IamInstanceProfile" in p else None
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
                "_reservation": rid, "_client_token": p.get("ClientToken"),
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
            if profile is not None:
                self.associate_profile(reg, inst, profile)
            self.expose_volumes(reg, inst)
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
        if token_key is not None:
            reg.idempotency[token_key] = (fp, rid)
        return self.view_reservation(reg, res)


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

    def _transition(self, insts, moving, to, at_key, delay, by_user):
        """Move the instances in a state of `moving` to `to`, due to end
        `delay` s from now (at `at_key`); the Stop/Start/TerminateInstances
        answer, an entry per instance, moved or not."""
        out = []
        t = now()
        for i in insts:
            prev = i["_state"]
            if prev in moving:
                i["_state"] = to
                i[at_key] = t + delay
                i["_reason"] = user_initiated(t) if by_user else ""
            out.append({"InstanceId": i["InstanceId"],
                        "PreviousState": {"Code": STATE_CODES[prev], "Name": prev},
                        "CurrentState": {"Code": STATE_CODES[i["_state"]],
                                         "Name": i["_state"]}})
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
        out = self._transition(insts, ("running",), "stopping", "_stopped_at",
                               self.opts.terminate_seconds, True)
        return {"StoppingInstances": out}

    def op_StartInstances(self, ctx, p):
        reg = ctx.reg
        insts = self._instances_for(reg, p["InstanceIds"])
        for i in insts:
            if i["_state"] not in ("stopped", "pending", "running"):
                raise err("IncorrectInstanceState",
                          f"The instance '{i['InstanceId']}' is not in a state "
                          f"from which it can be started.")
            if i["_state"] == "stopped" and not self.has_root_volume(reg, i):
                raise err("InvalidParameterValue",
                          f"Invalid value '{i['InstanceId']}' for instanceId. "
                          f"Instance does not have a volume attached at root "
                          f"(/dev/sda1)")
        out = self._transition(insts, ("stopped",), "pending", "_running_at",
                               self.opts.boot_seconds, False)
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
        self.release_volumes(reg, inst)

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
        prof = self.instance_profile_of(reg, inst)
        if prof is not None:
            out["IamInstanceProfile"] = prof
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
                            "Status": v["_att"], "VolumeId": vid}})
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
        insts = self._instances_for(reg, p["InstanceIds"])
        for i in insts:
            if i["_disable_api_termination"] and i["_state"] != "terminated":
                raise err("OperationNotPermitted",
                          f"The instance '{i['InstanceId']}' may not be terminated. "
                          f"Modify its 'disableApiTermination' instance attribute "
                          f"and try again.")
        out = self._transition(insts, ("pending", "running", "stopping", "stopped"),
                               "shutting-down", "_terminated_at",
                               self.opts.terminate_seconds, True)
        return {"TerminatingInstances": out}

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
