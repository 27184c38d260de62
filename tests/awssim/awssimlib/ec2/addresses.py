"""Elastic IP addresses."""

import threading

from .core import err, live, now, tag_list

EIP_LIMIT = 5


class AddressOps:
    """EC2 handlers for Elastic IPs."""

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
