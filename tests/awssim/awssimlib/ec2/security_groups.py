"""Security groups and their rules."""

import ipaddress
import re

from .core import apply_filters, err, live, now, paginate, parse_cidr, tag_list


class SecurityGroupOps:
    """EC2 handlers for security groups and rules."""

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
