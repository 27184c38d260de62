#!/usr/bin/python3
"""Checks on the AWS simulator's state and call log for the engine tests.

Usage: simcheck.py ENDPOINT COMMAND [ARGS]

  expect STACK [key=value...]  the stack's resources are exactly the expected set
                               (keys: region, azs, type, image, ami, size,
                               voltype, cidr, ssh_cidr, http_port, tag,
                               data=SIZE[/TYPE] or data=off)
  tagged STACK                 print how many live resources carry the stack's tag
                               (snapshots left out: destroy keeps the final one)
  snapshots STACK              print the stack's snapshots, one "id volume-id
                               resource-tag" line each
  ids STACK                    print the ids of the live resources tagged with the
                               stack, one per line (the root volume left out: it
                               is the instance's; the data volume is in)
  ncalls                       print the number of calls logged so far
  mutations SINCE              print the changing (non-Describe) calls after SINCE
  lost SINCE                   print how many calls after SINCE took effect but
                               were answered with an error (scripted "after" faults)
  tagspecs SINCE STACK         every create call after SINCE carried the stack's
                               tags (TagSpecifications); none needed CreateTags
  instance STACK FIELD         print a field of the stack's live instance
  settle                       wait (10 s at most) until no AWS call is in flight
                               and none was logged for 0.2 s: the calls of a
                               killed client have landed

Exits 1 with a message on the first failed expectation.
"""

import base64
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "awssim"))
from awssimlib import images  # noqa: E402

READONLY_PREFIXES = ("Describe", "Get", "List")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def tags(x):
    return {t["Key"]: t.get("Value", "") for t in (x.get("Tags") or [])}


def of_stack(items, stack):
    return [x for x in items if tags(x).get("craftctl:stack") == stack]


class Fail(Exception):
    pass


def want(cond, msg):
    if not cond:
        raise Fail(msg)


def newest_image(region, version, arch):
    best = None
    for im in images.ubuntu_images(region):
        if f"-{version}-" in im["Name"] and im["Architecture"] == arch:
            if best is None or im["CreationDate"] > best["CreationDate"]:
                best = im
    return best["ImageId"]


def subnet_cidrs(vpc_cidr, n):
    import ipaddress
    net = ipaddress.ip_network(vpc_cidr)
    subs = list(net.subnets(prefixlen_diff=4))
    return [str(subs[i]) for i in range(n)], [str(subs[8 + i]) for i in range(n)]


def expect(ep, stack, opts):
    region = opts.get("region", "us-east-2")
    azs = int(opts.get("azs", "2"))
    itype = opts.get("type", "t3.medium")
    version = opts.get("image", "24.04")
    size = int(opts.get("size", "30"))
    voltype = opts.get("voltype", "gp3")
    cidr = opts.get("cidr", "10.20.0.0/16")
    ssh_cidr = opts.get("ssh_cidr", "127.0.0.1/32")
    http_port = int(opts.get("http_port", "80"))
    user_tag = opts.get("tag")
    s = get(ep + "/_awssim/state")[region]

    def named(x, kind):
        t = tags(x)
        want(t.get("craftctl:resource"), f"{kind} {x} has no craftctl:resource tag")
        want(t.get("Name") == f"{stack}-{t['craftctl:resource']}",
             f"{kind} Name tag is {t.get('Name')!r}")
        if user_tag:
            k, v = user_tag.split("=", 1)
            want(t.get(k) == v, f"{kind} lacks tag {user_tag}: {t}")

    vpcs = of_stack(s["vpcs"], stack)
    want(len(vpcs) == 1, f"want 1 vpc, got {len(vpcs)}")
    vpc = vpcs[0]
    named(vpc, "vpc")
    want(vpc["CidrBlock"] == cidr, f"vpc cidr {vpc['CidrBlock']}")
    vid = vpc["VpcId"]

    subnets = of_stack(s["subnets"], stack)
    want(len(subnets) == 2 * azs, f"want {2 * azs} subnets, got {len(subnets)}")
    pub, priv = subnet_cidrs(cidr, azs)
    zones = set()
    public_ids = set()
    for sn in subnets:
        named(sn, "subnet")
        want(sn["VpcId"] == vid, "subnet outside the vpc")
        zones.add(sn["AvailabilityZone"])
        # zone N of DescribeAvailabilityZones (the simulator's are a, b, c)
        n = (pub + priv).index(sn["CidrBlock"]) % azs if sn["CidrBlock"] in pub + priv else -1
        want(n < 0 or sn["AvailabilityZone"] == region + "abc"[n],
             f"subnet {sn['CidrBlock']} in {sn['AvailabilityZone']}, want zone {n + 1}")
        if sn["CidrBlock"] in pub:
            want(sn["MapPublicIpOnLaunch"], f"public subnet {sn['CidrBlock']} maps no ips")
            public_ids.add(sn["SubnetId"])
        else:
            want(sn["CidrBlock"] in priv, f"unexpected subnet {sn['CidrBlock']}")
            want(not sn["MapPublicIpOnLaunch"], "private subnet maps public ips")
    want(len(zones) == azs, f"subnets in {len(zones)} zones, want {azs}")
    want(len(public_ids) == azs, f"{len(public_ids)} public subnets, want {azs}")

    igws = of_stack(s["internet_gateways"], stack)
    want(len(igws) == 1, f"want 1 internet gateway, got {len(igws)}")
    named(igws[0], "igw")
    att = igws[0].get("Attachments") or []
    want(len(att) == 1 and att[0]["VpcId"] == vid, f"gateway attachments {att}")
    gid = igws[0]["InternetGatewayId"]

    rtbs = of_stack(s["route_tables"], stack)
    want(len(rtbs) == 1, f"want 1 route table, got {len(rtbs)}")
    named(rtbs[0], "rtb")
    routes = [r for r in rtbs[0].get("Routes") or []
              if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    want(len(routes) == 1 and routes[0].get("GatewayId") == gid, f"default route {routes}")
    assocs = [a for a in rtbs[0].get("Associations") or [] if not a.get("Main")]
    want(sorted(a["SubnetId"] for a in assocs) == sorted(public_ids),
         f"associations {assocs} want the public subnets")

    sgs = of_stack(s["security_groups"], stack)
    want(len(sgs) == 1, f"want 1 security group, got {len(sgs)}")
    named(sgs[0], "sg")
    rules = set()
    for p in sgs[0].get("IpPermissions") or []:
        for r in p.get("IpRanges") or []:
            rules.add((p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"), r["CidrIp"]))
        want(not p.get("Ipv6Ranges") and not p.get("UserIdGroupPairs"),
             f"unexpected rule {p}")
    expected = {("tcp", 22, 22, ssh_cidr), ("tcp", http_port, http_port, "0.0.0.0/0"),
                ("tcp", 443, 443, "0.0.0.0/0")}
    want(rules == expected, f"ingress rules {sorted(rules)} != {sorted(expected)}")
    egress = [(p.get("IpProtocol"), [r["CidrIp"] for r in p.get("IpRanges") or []])
              for p in sgs[0].get("IpPermissionsEgress") or []]
    want(egress == [("-1", ["0.0.0.0/0"])], f"egress is not open: {egress}")

    keys = of_stack(s["key_pairs"], stack)
    want(len(keys) == 1, f"want 1 key pair, got {len(keys)}")
    named(keys[0], "key")

    insts = [i for i in of_stack(s["instances"], stack)
             if i["State"]["Name"] not in ("terminated",)]
    want(len(insts) == 1, f"want 1 live instance, got {len(insts)}")
    inst = insts[0]
    named(inst, "instance")
    want(inst["State"]["Name"] == "running", f"instance is {inst['State']['Name']}")
    want(inst["InstanceType"] == itype, f"instance type {inst['InstanceType']}")
    arch = "arm64" if itype.split(".")[0].endswith("g") else "x86_64"
    if opts.get("ami"):
        want(inst["ImageId"] == opts["ami"], f"image {inst['ImageId']}, want {opts['ami']}")
    else:
        want(inst["ImageId"] == newest_image(region, version, arch),
             f"image {inst['ImageId']} is not the newest ubuntu {version} {arch}")
    want(inst["MetadataOptions"]["HttpTokens"] == "required", "IMDSv2 not required")
    want(inst["SubnetId"] in public_ids, "instance not in a public subnet")
    want([g["GroupId"] for g in inst["SecurityGroups"]] == [sgs[0]["GroupId"]],
         "instance security groups")
    want(inst.get("KeyName") == keys[0]["KeyName"], "instance key")
    root = [b for b in inst["BlockDeviceMappings"] if b["DeviceName"] == inst["RootDeviceName"]]
    want(len(root) == 1, "no root volume")
    vol = [v for v in s["volumes"] if v["VolumeId"] == root[0]["Ebs"]["VolumeId"]][0]
    want(vol["Size"] == size and vol["VolumeType"] == voltype and vol["Encrypted"],
         f"root volume {vol['Size']} {vol['VolumeType']} encrypted={vol['Encrypted']}")
    want(root[0]["Ebs"]["DeleteOnTermination"], "root volume outlives the instance")
    ud = base64.b64decode(inst.get("UserData") or "")
    want(ud.startswith(b"#cloud-config\n") and b"docker.io" in ud,
         f"user data is not the cloud-init template: {ud[:60]!r}")

    data = opts.get("data", "20/gp3")
    dvols = [v for v in of_stack(s["volumes"], stack)
             if tags(v).get("craftctl:resource") == "data"]
    if data == "off":
        want(not dvols, f"want no data volume, got {[v['VolumeId'] for v in dvols]}")
    else:
        dsize, _, dtype = data.partition("/")
        want(len(dvols) == 1, f"want 1 data volume, got {len(dvols)}")
        dv = dvols[0]
        named(dv, "data volume")
        want(dv["Size"] == int(dsize) and dv["VolumeType"] == (dtype or "gp3")
             and dv["Encrypted"], f"data volume {dv['Size']} {dv['VolumeType']} "
             f"encrypted={dv['Encrypted']}")
        want(dv["AvailabilityZone"] == inst["Placement"]["AvailabilityZone"],
             "data volume not in the instance's zone")
        att = dv.get("Attachments") or []
        want(len(att) == 1 and att[0]["InstanceId"] == inst["InstanceId"]
             and att[0]["State"] == "attached" and not att[0]["DeleteOnTermination"],
             f"data volume attachments {att}")

    eips = of_stack(s["addresses"], stack)
    want(len(eips) == 1, f"want 1 elastic ip, got {len(eips)}")
    named(eips[0], "eip")
    want(eips[0].get("InstanceId") == inst["InstanceId"], "elastic ip not on the instance")
    print(f"ok: {stack}: vpc, {len(subnets)} subnets, igw, rtb+route+{len(assocs)} assocs, "
          f"sg ({len(rules)} rules), key, {itype} {inst['InstanceId']}, eip "
          f"{eips[0]['PublicIp']}")


# the create calls and the resource types their TagSpecifications must name
CREATES = {"CreateVpc": {"vpc"}, "CreateSubnet": {"subnet"},
           "CreateInternetGateway": {"internet-gateway"},
           "CreateRouteTable": {"route-table"}, "CreateSecurityGroup": {"security-group"},
           "ImportKeyPair": {"key-pair"}, "CreateKeyPair": {"key-pair"},
           "RunInstances": {"instance", "volume"}, "AllocateAddress": {"elastic-ip"},
           "CreateVolume": {"volume"}, "CreateSnapshot": {"snapshot"}}


def tagspecs(ep, since, stack):
    calls = get(ep + "/_awssim/calls")[since:]
    n = 0
    for c in calls:
        want(c["action"] != "CreateTags", "a create needed CreateTags afterwards")
        if c["action"] not in CREATES or c["status"] != 200:
            continue
        p = c.get("params") or {}
        types = set()
        for k, v in p.items():
            if k.startswith("TagSpecification.") and k.endswith(".ResourceType"):
                pre = k[: -len("ResourceType")]
                keys = {p[x]: p.get(x[: -len("Key")] + "Value") for x in p
                        if x.startswith(pre + "Tag.") and x.endswith(".Key")}
                want(keys.get("craftctl:stack") == stack and keys.get("craftctl:resource")
                     and keys.get("Name", "").startswith(stack + "-"),
                     f"{c['action']}: {v} tags {keys}")
                types.add(v)
        want(types == CREATES[c["action"]],
             f"{c['action']} tags {sorted(types)}, want {sorted(CREATES[c['action']])}")
        n += 1
    want(n > 0, "no create call to check")
    print(f"ok: {n} create calls carried their tags")


def tagged(ep, stack):
    n = 0
    for region in get(ep + "/_awssim/state").values():
        for kind, items in region.items():
            if kind == "snapshots":
                continue
            for x in of_stack(items, stack):
                if kind == "instances" and x["State"]["Name"] == "terminated":
                    continue
                if kind == "volumes" and x["State"] in ("deleting", "deleted"):
                    continue  # going: AWS finishes it on its own
                n += 1
    return n


def snapshots(ep, stack):
    out = []
    for region in get(ep + "/_awssim/state").values():
        for x in of_stack(region.get("snapshots", []), stack):
            out.append(f"{x['SnapshotId']} {x.get('VolumeId', '')} "
                       f"{tags(x).get('craftctl:resource', '')}")
    return out


ID_FIELDS = {"vpcs": "VpcId", "subnets": "SubnetId", "internet_gateways": "InternetGatewayId",
             "route_tables": "RouteTableId", "security_groups": "GroupId",
             "key_pairs": "KeyPairId", "instances": "InstanceId", "addresses": "AllocationId"}


def ids(ep, stack):
    out = []
    for region in get(ep + "/_awssim/state").values():
        for kind, field in ID_FIELDS.items():
            for x in of_stack(region.get(kind, []), stack):
                if kind == "instances" and x["State"]["Name"] == "terminated":
                    continue
                out.append(x[field])
        for v in of_stack(region.get("volumes", []), stack):
            if tags(v).get("craftctl:resource") == "data":
                out.append(v["VolumeId"])
    return out


def main():
    ep, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if cmd == "expect":
            expect(ep, args[0], dict(a.split("=", 1) for a in args[1:]))
        elif cmd == "tagged":
            print(tagged(ep, args[0]))
        elif cmd == "snapshots":
            for line in snapshots(ep, args[0]):
                print(line)
        elif cmd == "ids":
            print("\n".join(ids(ep, args[0])))
        elif cmd == "ncalls":
            print(len(get(ep + "/_awssim/calls")))
        elif cmd == "mutations":
            calls = get(ep + "/_awssim/calls")[int(args[0]):]
            print(" ".join(c["action"] for c in calls
                           if not c["action"].startswith(READONLY_PREFIXES)))
        elif cmd == "lost":
            print(sum(1 for c in get(ep + "/_awssim/calls")[int(args[0]):] if c.get("applied")))
        elif cmd == "settle":
            # no call in flight and none logged for 0.2 s
            import time
            deadline = time.monotonic() + 10
            quiet, seen = None, None
            while True:
                h = get(ep + "/_awssim/health")
                now = time.monotonic()
                if h["in_flight"] or h["calls"] != seen:
                    quiet, seen = now, h["calls"]
                elif now - quiet >= 0.2:
                    break
                want(now < deadline, "calls still in flight after 10 s")
                time.sleep(0.05)
        elif cmd == "tagspecs":
            tagspecs(ep, int(args[0]), args[1])
        elif cmd == "instance":
            s = get(ep + "/_awssim/state")
            for region in s.values():
                for i in of_stack(region["instances"], args[0]):
                    if i["State"]["Name"] != "terminated":
                        v = i
                        for part in args[1].split("."):
                            v = v[part]
                        print(v)
        else:
            raise Fail(f"unknown command {cmd}")
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
