"""VPCs, subnets, internet gateways and route tables (and the default VPC)."""

import hashlib
import ipaddress

from .core import bool_s, err, live, now, paginate, parse_cidr, tag_list

VPC_LIMIT = 5


class NetworkOps:
    """EC2 handlers for the network resources of a VPC."""

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
