"""Elastic Load Balancing v2 for the AWS simulator: load balancers, target
groups, listeners, targets and their health.

Regional, Query protocol (lists as `Subnets.member.N`), checked against the
simulated EC2: subnets must exist, lie in one VPC and (application load
balancers) cover two zones; security groups must be that VPC's; targets must
be instances of the target group's VPC. A load balancer is `provisioning`
for --elb-seconds, then `active`; a registered target is `initial` for
--elb-seconds, then `healthy` while its instance runs (`unhealthy`,
Target.InvalidState, otherwise), `unused` while no listener forwards to its
group, and `draining` for --elb-seconds after deregistration. A target group
a listener forwards to cannot be deleted (ResourceInUse); names are unique
per region (DuplicateLoadBalancerName, DuplicateTargetGroupName); one
listener per port (DuplicateListener); HTTPS/TLS listeners need a
certificate, and ACM is not simulated (CertificateNotFound).
"""

import re

from .protocol import AwsError
from .svcbase import ServiceState, now

NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")


def _err(code, msg):
    return AwsError(code, msg, 400)


class Elbv2(ServiceState):
    def reset(self):
        self.lbs = {}          # arn -> load balancer
        self.tgs = {}          # arn -> target group
        self.listeners = {}    # arn -> listener

    def dump(self):
        return {"load_balancers": [self.view_lb(x) for x in self.lbs.values()],
                "target_groups": [self.view_tg(x) for x in self.tgs.values()],
                "listeners": [self.view_listener(x) for x in self.listeners.values()]}

    @property
    def delay(self):
        return self.opts.elb_seconds

    def _arn(self, region, kind, name):
        return (f"arn:aws:elasticloadbalancing:{region}:{self.account}:{kind}/{name}/"
                f"{self.sim.id_rng.getrandbits(64):016x}")

    def _get(self, coll, arn, code, what, ctx, reading=True):
        x = coll.get(arn)
        if x is None or x["_region"] != ctx.region or self.fresh(x, reading):
            raise _err(code, f"One or more {what} not found")
        return x

    def _name(self, name, what):
        if not NAME.fullmatch(name) or name.lower().startswith("internal-"):
            raise _err("ValidationError",
                       f"The {what} name '{name}' can only contain characters that "
                       f"are alphanumeric characters or hyphens(-), must be at most "
                       f"32 characters and must not begin or end with a hyphen")

    # ------------------------------------------------------------ views

    def view_lb(self, lb):
        state = "active" if now() >= lb["_active_at"] else "provisioning"
        return {"LoadBalancerArn": lb["_arn"], "DNSName": lb["_dns"],
                "CanonicalHostedZoneId": "Z3AADJGX6KTTL2", "CreatedTime": lb["_created"],
                "LoadBalancerName": lb["_name"], "Scheme": lb["_scheme"],
                "VpcId": lb["_vpc"], "State": {"Code": state}, "Type": lb["_type"],
                "AvailabilityZones": [{"ZoneName": z, "SubnetId": s}
                                      for s, z in lb["_subnets"]],
                "SecurityGroups": list(lb["_sgs"]), "IpAddressType": "ipv4"}

    def view_tg(self, tg):
        lbs = sorted({ls["_lb"] for ls in self.listeners.values()
                      if tg["_arn"] in ls["_forwards"]})
        out = {k: v for k, v in tg.items() if not k.startswith("_")}
        out.update({"TargetGroupArn": tg["_arn"], "TargetGroupName": tg["_name"],
                    "LoadBalancerArns": lbs})
        return out

    def view_listener(self, ls):
        return {"ListenerArn": ls["_arn"], "LoadBalancerArn": ls["_lb"],
                "Port": ls["_port"], "Protocol": ls["_protocol"],
                "DefaultActions": ls["_actions"],
                "Certificates": ls["_certs"] or None}

    # ------------------------------------------------------------ load balancers

    def op_CreateLoadBalancer(self, ctx, p):
        self._name(p["Name"], "load balancer")
        reg = self.sim.region(ctx.region)
        kind = p.get("Type", "application")
        if kind not in ("application", "network"):
            raise _err("ValidationError", f"Load balancer type '{kind}' is not simulated")
        for lb in self.lbs.values():
            if lb["_region"] == ctx.region and lb["_name"] == p["Name"]:
                raise _err("DuplicateLoadBalancerName",
                           "A load balancer with the same name already exists")
        ids = list(p.get("Subnets", [])) + [m["SubnetId"] for m in
                                            p.get("SubnetMappings", []) if "SubnetId" in m]
        if not ids:
            raise _err("ValidationError", "At least one subnet must be specified")
        subnets = []
        for sid in ids:
            s = reg.subnets.get(sid)
            if s is None or s.get("_deleted"):
                raise _err("SubnetNotFound", f"The subnet ID '{sid}' is not valid")
            subnets.append(s)
        vpcs = {s["VpcId"] for s in subnets}
        if len(vpcs) > 1:
            raise _err("InvalidSubnet", "All subnets must belong to the same VPC")
        zones = [s["AvailabilityZone"] for s in subnets]
        if len(set(zones)) != len(zones):
            raise _err("InvalidConfigurationRequest",
                       "A load balancer cannot be attached to multiple subnets in the "
                       "same Availability Zone")
        if kind == "application" and len(zones) < 2:
            raise _err("InvalidConfigurationRequest",
                       "At least two subnets in two different Availability Zones must "
                       "be specified")
        vpc = vpcs.pop()
        sgs = list(p.get("SecurityGroups", []))
        for g in sgs:
            sg = reg.sgs.get(g)
            if sg is None or sg.get("_deleted") or sg["VpcId"] != vpc:
                raise _err("InvalidSecurityGroup", f"Security group '{g}' does not exist "
                                                   f"in VPC '{vpc}'")
        if kind == "application" and not sgs:
            sgs = [g["GroupId"] for g in reg.sgs.values()
                   if g["VpcId"] == vpc and g["GroupName"] == "default"]
        scheme = p.get("Scheme", "internet-facing")
        arn = self._arn(ctx.region, "loadbalancer/app" if kind == "application"
                        else "loadbalancer/net", p["Name"])
        dns = (f"{'internal-' if scheme == 'internal' else ''}{p['Name']}-"
               f"{self.sim.id_rng.getrandbits(32)}.{ctx.region}.elb.amazonaws.com")
        lb = self.new_resource({
            "_arn": arn, "_name": p["Name"], "_region": ctx.region, "_type": kind,
            "_scheme": scheme, "_vpc": vpc, "_sgs": sgs, "_dns": dns,
            "_subnets": [(s["SubnetId"], s["AvailabilityZone"]) for s in subnets],
            "_active_at": now() + self.delay,
            "_tags": {t["Key"]: t.get("Value", "") for t in p.get("Tags", [])}})
        self.lbs[arn] = lb
        return {"LoadBalancers": [self.view_lb(lb)]}

    def _page(self, items, p):
        n = p.get("PageSize", 400)
        start = int(p["Marker"]) if p.get("Marker", "").isdigit() else 0
        if p.get("Marker") and not p["Marker"].isdigit():
            raise _err("ValidationError", "Invalid marker")
        nxt = str(start + n) if start + n < len(items) else None
        return items[start:start + n], nxt

    def op_DescribeLoadBalancers(self, ctx, p):
        if p.get("LoadBalancerArns") and p.get("Names"):
            raise _err("ValidationError", "LoadBalancerArns and Names cannot be "
                                          "specified together")
        if p.get("LoadBalancerArns"):
            items = [self._get(self.lbs, a, "LoadBalancerNotFound", "load balancers", ctx)
                     for a in p["LoadBalancerArns"]]
        else:
            items = [x for x in self.lbs.values()
                     if x["_region"] == ctx.region and not self.fresh(x, True)]
            if p.get("Names"):
                by = {x["_name"]: x for x in items}
                if any(n not in by for n in p["Names"]):
                    raise _err("LoadBalancerNotFound",
                               "One or more load balancers not found")
                items = [by[n] for n in p["Names"]]
        got, nxt = self._page(items, p)
        return {"LoadBalancers": [self.view_lb(x) for x in got], "NextMarker": nxt}

    def op_DeleteLoadBalancer(self, ctx, p):
        lb = self.lbs.get(p["LoadBalancerArn"])
        if lb is None or lb["_region"] != ctx.region:
            return {}     # deleting a missing load balancer succeeds, as on AWS
        for arn in [a for a, ls in self.listeners.items() if ls["_lb"] == lb["_arn"]]:
            del self.listeners[arn]
        del self.lbs[lb["_arn"]]
        return {}

    # ------------------------------------------------------------ target groups

    def op_CreateTargetGroup(self, ctx, p):
        self._name(p["Name"], "target group")
        ttype = p.get("TargetType", "instance")
        if ttype != "lambda":
            for k in ("Protocol", "Port", "VpcId"):
                if k not in p:
                    raise _err("ValidationError",
                               f"A {k.lower()} must be specified for target groups of "
                               f"type {ttype}")
            vpc = self.sim.region(ctx.region).vpcs.get(p["VpcId"])
            if vpc is None or vpc.get("_deleted"):
                raise _err("ValidationError", f"The VPC ID '{p['VpcId']}' is not found")
        for tg in self.tgs.values():
            if tg["_region"] == ctx.region and tg["_name"] == p["Name"]:
                raise _err("DuplicateTargetGroupName",
                           "A target group with the same name exists, but with "
                           "different settings")
        proto = p.get("Protocol")
        tg = self.new_resource({
            "_arn": self._arn(ctx.region, "targetgroup", p["Name"]), "_name": p["Name"],
            "_region": ctx.region, "_targets": {},
            "_tags": {t["Key"]: t.get("Value", "") for t in p.get("Tags", [])},
            "Protocol": proto, "Port": p.get("Port"), "VpcId": p.get("VpcId"),
            "HealthCheckProtocol": p.get("HealthCheckProtocol", proto),
            "HealthCheckPort": p.get("HealthCheckPort", "traffic-port"),
            "HealthCheckEnabled": p.get("HealthCheckEnabled", True),
            "HealthCheckIntervalSeconds": p.get("HealthCheckIntervalSeconds", 30),
            "HealthCheckTimeoutSeconds": p.get("HealthCheckTimeoutSeconds", 5),
            "HealthyThresholdCount": p.get("HealthyThresholdCount", 5),
            "UnhealthyThresholdCount": p.get("UnhealthyThresholdCount", 2),
            "HealthCheckPath": p.get("HealthCheckPath", "/") if proto in
            ("HTTP", "HTTPS") else None,
            "Matcher": p.get("Matcher", {"HttpCode": "200"}) if proto in
            ("HTTP", "HTTPS") else None,
            "TargetType": ttype})
        self.tgs[tg["_arn"]] = tg
        return {"TargetGroups": [self.view_tg(tg)]}

    def op_DescribeTargetGroups(self, ctx, p):
        if p.get("TargetGroupArns"):
            items = [self._get(self.tgs, a, "TargetGroupNotFound", "target groups", ctx)
                     for a in p["TargetGroupArns"]]
        else:
            items = [x for x in self.tgs.values()
                     if x["_region"] == ctx.region and not self.fresh(x, True)]
            if p.get("Names"):
                by = {x["_name"]: x for x in items}
                if any(n not in by for n in p["Names"]):
                    raise _err("TargetGroupNotFound", "One or more target groups not found")
                items = [by[n] for n in p["Names"]]
            if p.get("LoadBalancerArn"):
                self._get(self.lbs, p["LoadBalancerArn"], "LoadBalancerNotFound",
                          "load balancers", ctx)
                items = [x for x in items
                         if p["LoadBalancerArn"] in self.view_tg(x)["LoadBalancerArns"]]
        got, nxt = self._page(items, p)
        return {"TargetGroups": [self.view_tg(x) for x in got], "NextMarker": nxt}

    def op_DeleteTargetGroup(self, ctx, p):
        tg = self.tgs.get(p["TargetGroupArn"])
        if tg is None or tg["_region"] != ctx.region:
            return {}
        users = [ls["_arn"] for ls in self.listeners.values() if tg["_arn"] in ls["_forwards"]]
        if users:
            raise _err("ResourceInUse", f"Target group '{tg['_arn']}' is currently in use "
                                        f"by a listener or a rule")
        del self.tgs[tg["_arn"]]
        return {}

    # ------------------------------------------------------------ targets

    def op_RegisterTargets(self, ctx, p):
        tg = self._get(self.tgs, p["TargetGroupArn"], "TargetGroupNotFound",
                       "target groups", ctx, reading=False)
        reg = self.sim.region(ctx.region)
        for t in p["Targets"]:
            inst = reg.instances.get(t["Id"])
            if inst is None or inst["_state"] in ("shutting-down", "terminated") or \
                    inst["VpcId"] != tg["VpcId"]:
                raise _err("InvalidTarget", f"The following targets are not in a running "
                                            f"state and cannot be registered: '{t['Id']}'")
        for t in p["Targets"]:
            port = t.get("Port", tg["Port"])
            tg["_targets"][(t["Id"], port)] = {"since": now(), "draining_until": None}
        return {}

    def op_DeregisterTargets(self, ctx, p):
        tg = self._get(self.tgs, p["TargetGroupArn"], "TargetGroupNotFound",
                       "target groups", ctx, reading=False)
        for t in p["Targets"]:
            key = (t["Id"], t.get("Port", tg["Port"]))
            if key not in tg["_targets"]:
                raise _err("InvalidTarget", f"The target '{t['Id']}' is not registered")
            tg["_targets"][key]["draining_until"] = now() + self.delay
        return {}

    def _health(self, ctx, tg, key, state):
        inst = self.sim.region(ctx.region).instances.get(key[0])
        t = now()
        if state is None:
            return {"State": "unused", "Reason": "Target.NotRegistered",
                    "Description": "Target is not registered to the target group"}
        if state["draining_until"] is not None:
            return {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                    "Description": "Target deregistration is in progress"}
        if not any(tg["_arn"] in ls["_forwards"] for ls in self.listeners.values()):
            return {"State": "unused", "Reason": "Target.NotInUse",
                    "Description": "Target group is not configured to receive traffic "
                                   "from the load balancer"}
        if inst is None or inst["_state"] != "running":
            return {"State": "unused" if inst is not None and inst["_state"] == "stopped"
                    else "unhealthy", "Reason": "Target.InvalidState",
                    "Description": "Target is in the stopped state"}
        if t < state["since"] + self.delay:
            return {"State": "initial", "Reason": "Elb.InitialHealthChecking",
                    "Description": "Initial health checks in progress"}
        return {"State": "healthy"}

    def op_DescribeTargetHealth(self, ctx, p):
        tg = self._get(self.tgs, p["TargetGroupArn"], "TargetGroupNotFound",
                       "target groups", ctx)
        t = now()
        for key in [k for k, v in tg["_targets"].items()
                    if v["draining_until"] is not None and t >= v["draining_until"]]:
            del tg["_targets"][key]
        if p.get("Targets"):
            keys = [(x["Id"], x.get("Port", tg["Port"])) for x in p["Targets"]]
        else:
            keys = sorted(tg["_targets"])
        out = []
        for key in keys:
            out.append({"Target": {"Id": key[0], "Port": key[1]},
                        "HealthCheckPort": str(key[1]),
                        "TargetHealth": self._health(ctx, tg, key, tg["_targets"].get(key))})
        return {"TargetHealthDescriptions": out}

    # ------------------------------------------------------------ listeners

    def op_CreateListener(self, ctx, p):
        lb = self._get(self.lbs, p["LoadBalancerArn"], "LoadBalancerNotFound",
                       "load balancers", ctx, reading=False)
        proto = p.get("Protocol", "HTTP" if lb["_type"] == "application" else "TCP")
        port = p.get("Port", 443 if proto in ("HTTPS", "TLS") else 80)
        if proto in ("HTTPS", "TLS"):
            certs = p.get("Certificates") or []
            if not certs:
                raise _err("CertificateNotFound", "A certificate must be specified for "
                                                  "HTTPS listeners")
            raise _err("CertificateNotFound",
                       f"Certificate '{certs[0].get('CertificateArn')}' not found "
                       f"(ACM is not simulated)")
        if lb["_type"] == "application" and proto not in ("HTTP", "HTTPS"):
            raise _err("ValidationError", f"Protocol '{proto}' is not supported by "
                                          f"application load balancers")
        for ls in self.listeners.values():
            if ls["_lb"] == lb["_arn"] and ls["_port"] == port:
                raise _err("DuplicateListener", "A listener already exists on this port "
                                                "for this load balancer")
        forwards = []
        for a in p["DefaultActions"]:
            targets = [a["TargetGroupArn"]] if a.get("TargetGroupArn") else []
            targets += [t["TargetGroupArn"] for t in
                        (a.get("ForwardConfig") or {}).get("TargetGroups", [])]
            if a["Type"] == "forward" and not targets:
                raise _err("ValidationError", "A target group ARN must be specified "
                                              "for a forward action")
            for arn in targets:
                tg = self._get(self.tgs, arn, "TargetGroupNotFound", "target groups",
                               ctx, reading=False)
                if tg["VpcId"] != lb["_vpc"]:
                    raise _err("ValidationError", f"The target group '{arn}' is not in "
                                                  f"the load balancer's VPC")
                forwards.append(arn)
        arn = lb["_arn"].replace(":loadbalancer/", ":listener/") + \
            f"/{self.sim.id_rng.getrandbits(64):016x}"
        ls = self.new_resource({"_arn": arn, "_lb": lb["_arn"], "_port": port,
                                "_protocol": proto, "_actions": p["DefaultActions"],
                                "_certs": p.get("Certificates"), "_forwards": forwards,
                                "_region": ctx.region})
        self.listeners[arn] = ls
        return {"Listeners": [self.view_listener(ls)]}

    def op_DescribeListeners(self, ctx, p):
        if p.get("ListenerArns"):
            items = [self._get(self.listeners, a, "ListenerNotFound", "listeners", ctx)
                     for a in p["ListenerArns"]]
        elif p.get("LoadBalancerArn"):
            lb = self._get(self.lbs, p["LoadBalancerArn"], "LoadBalancerNotFound",
                           "load balancers", ctx)
            items = [ls for ls in self.listeners.values() if ls["_lb"] == lb["_arn"]]
        else:
            raise _err("ValidationError", "You must specify either listener ARNs or a "
                                          "load balancer ARN")
        got, nxt = self._page(items, p)
        return {"Listeners": [self.view_listener(x) for x in got], "NextMarker": nxt}

    def op_DeleteListener(self, ctx, p):
        self._get(self.listeners, p["ListenerArn"], "ListenerNotFound", "listeners",
                  ctx, reading=False)
        del self.listeners[p["ListenerArn"]]
        return {}

    # ------------------------------------------------------------ tags

    def _tagged(self, ctx, arn):
        for coll, code in ((self.lbs, "LoadBalancerNotFound"),
                           (self.tgs, "TargetGroupNotFound"),
                           (self.listeners, "ListenerNotFound")):
            if arn in coll:
                return self._get(coll, arn, code, "resources", ctx, reading=False)
        raise _err("LoadBalancerNotFound", f"Resource '{arn}' not found")

    def op_AddTags(self, ctx, p):
        for arn in p["ResourceArns"]:
            x = self._tagged(ctx, arn)
            tags = dict(x.get("_tags", {}), **{t["Key"]: t.get("Value", "")
                                                 for t in p["Tags"]})
            if len(tags) > 50:
                raise _err("TooManyTags", "A resource can have 50 tags at most")
            x["_tags"] = tags
        return {}

    def op_DescribeTags(self, ctx, p):
        return {"TagDescriptions": [
            {"ResourceArn": arn, "Tags": [{"Key": k, "Value": v} for k, v in
                                          self._tagged(ctx, arn).get("_tags", {}).items()]}
            for arn in p["ResourceArns"]]}
