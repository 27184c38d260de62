"""Route 53 for the AWS simulator: hosted zones, record sets, changes.

Route 53 is global and speaks REST-XML (restxml.py). What is kept of AWS:
CreateHostedZone is idempotent by CallerReference (the same arguments give
the same zone, others HostedZoneAlreadyExists 409); a zone starts with its
apex NS and SOA records and cannot be deleted while it has others
(HostedZoneNotEmpty); ChangeResourceRecordSets applies a batch all or
nothing, refusing it with InvalidChangeBatch as AWS words it (CREATE of a
record that exists, DELETE of one that is missing or whose values differ,
names outside the zone, CNAME beside other types, the apex NS/SOA), and each
change is PENDING until --route53-sync-seconds have passed, then INSYNC
(GetChange). Record sets are listed in Route 53's order (labels reversed,
then type).
"""

import ipaddress
import re

from .protocol import AwsError
from .svcbase import ServiceState, now

NS_DOMAINS = ("awsdns-{:02d}.com", "awsdns-{:02d}.net", "awsdns-{:02d}.org",
              "awsdns-{:02d}.co.uk")
LABEL = re.compile(r"(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)")


def _err(code, msg):
    status = {"NoSuchHostedZone": 404, "NoSuchChange": 404,
              "HostedZoneAlreadyExists": 409}.get(code, 400)
    return AwsError(code, msg, status)


def fqdn(name, what="domain name"):
    """Route 53's form of a name: lower case, with the trailing dot."""
    n = name.lower().rstrip(".") + "."
    labels = n[:-1].split(".")
    if len(n) > 255 or not all(LABEL.fullmatch(lb) for lb in labels):
        raise _err("InvalidDomainName", f"{name} is not a valid {what}.")
    return n


def sort_key(name, rtype="", ident=""):
    return (list(reversed(name.rstrip(".").split("."))), rtype, ident or "")


class Route53(ServiceState):
    def reset(self):
        self.zones = {}
        self.changes = {}
        self.by_ref = {}

    def dump(self):
        return {"hosted_zones": [dict(self.view_zone(z),
                                      ResourceRecordSets=[self.view_rrset(r) for r in
                                                          self.sorted_rrsets(z)])
                                 for z in self.zones.values()],
                "changes": [self.view_change(c) for c in self.changes.values()]}

    # ------------------------------------------------------------ views

    def zone(self, raw, reading=True):
        zid = raw   # the bare id: botocore strips "/hostedzone/", clients must too
        z = self.zones.get(zid)
        if z is None or self.fresh(z, reading):
            raise _err("NoSuchHostedZone", f"No hosted zone found with ID: {zid}")
        return z

    def view_zone(self, z):
        return {"Id": "/hostedzone/" + z["_id"], "Name": z["_name"],
                "CallerReference": z["_ref"],
                "Config": {"Comment": z["_comment"], "PrivateZone": False},
                "ResourceRecordSetCount": len(z["_rrsets"])}

    def view_change(self, c):
        status = "INSYNC" if now() >= c["_due"] else "PENDING"
        return {"Id": "/change/" + c["_id"], "Status": status,
                "SubmittedAt": c["_at"], "Comment": c.get("_comment")}

    @staticmethod
    def view_rrset(r):
        return {k: v for k, v in r.items() if not k.startswith("_")}

    def sorted_rrsets(self, z):
        return sorted(z["_rrsets"].values(),
                      key=lambda r: sort_key(r["Name"], r["Type"], r.get("SetIdentifier")))

    def new_change(self, comment=None):
        cid = self.rand_id("C", 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        c = {"_id": cid, "_at": now(), "_comment": comment,
             "_due": now() + self.opts.route53_sync_seconds}
        self.changes[cid] = c
        return c

    # ------------------------------------------------------------ zones

    def op_CreateHostedZone(self, ctx, p):
        if "VPC" in p:
            raise _err("InvalidInput", "Private hosted zones are not simulated.")
        if "DelegationSetId" in p:
            raise _err("NoSuchDelegationSet",
                       f"A reusable delegation set with ID {p['DelegationSetId']} "
                       f"does not exist.")
        name = fqdn(p["Name"])
        if name.count(".") < 2:
            raise _err("InvalidDomainName", f"{p['Name']} is reserved by AWS.")
        conf = p.get("HostedZoneConfig", {})
        if conf.get("PrivateZone"):
            raise _err("InvalidInput", "A private hosted zone needs a VPC.")
        comment = conf.get("Comment", "")
        fingerprint = (name, comment)
        prev = self.by_ref.get(p["CallerReference"])
        if prev is not None:
            z = self.zones.get(prev)
            if z is None or z["_fingerprint"] != fingerprint:
                raise _err("HostedZoneAlreadyExists",
                           f"A hosted zone has already been created with the "
                           f"specified caller reference {p['CallerReference']}.")
            change = self.changes[z["_change"]]
        else:
            zid = self.rand_id("Z", 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            rng = self.sim.id_rng
            ns = [f"ns-{rng.randrange(2048)}.{d.format(rng.randrange(64))}."
                  for d in NS_DOMAINS]
            z = self.new_resource({
                "_id": zid, "_name": name, "_ref": p["CallerReference"],
                "_comment": comment, "_fingerprint": fingerprint, "_ns": ns,
                "_tags": {}, "_rrsets": {}})
            z["_rrsets"][(name, "NS", "")] = {
                "Name": name, "Type": "NS", "TTL": 172800,
                "ResourceRecords": [{"Value": n} for n in ns]}
            z["_rrsets"][(name, "SOA", "")] = {
                "Name": name, "Type": "SOA", "TTL": 900,
                "ResourceRecords": [{"Value": f"{ns[0]} awsdns-hostmaster.amazon.com. "
                                              f"1 7200 900 1209600 86400"}]}
            change = self.new_change()
            z["_change"] = change["_id"]
            self.zones[zid] = z
            self.by_ref[p["CallerReference"]] = zid
        return {"HostedZone": self.view_zone(z), "ChangeInfo": self.view_change(change),
                "DelegationSet": {"NameServers": z["_ns"]},
                "Location": f"https://route53.amazonaws.com/2013-04-01/hostedzone/{z['_id']}"}

    def op_GetHostedZone(self, ctx, p):
        z = self.zone(p["Id"])
        return {"HostedZone": self.view_zone(z), "DelegationSet": {"NameServers": z["_ns"]}}

    def op_DeleteHostedZone(self, ctx, p):
        z = self.zone(p["Id"], reading=False)
        if any(not (r["Name"] == z["_name"] and r["Type"] in ("NS", "SOA"))
               for r in z["_rrsets"].values()):
            raise _err("HostedZoneNotEmpty",
                       "The specified hosted zone contains non-required resource "
                       "record sets and so cannot be deleted.")
        del self.zones[z["_id"]]
        return {"ChangeInfo": self.view_change(self.new_change())}

    def _visible_zones(self):
        return sorted((z for z in self.zones.values() if not self.fresh(z, True)),
                      key=lambda z: (sort_key(z["_name"]), z["_id"]))

    @staticmethod
    def _max_items(raw, default=100):
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise _err("InvalidInput", f"MaxItems {raw} is not a positive integer.")
        return min(int(raw), default)

    def op_ListHostedZones(self, ctx, p):
        zones = self._visible_zones()
        n = self._max_items(p.get("MaxItems"))
        start = 0
        if p.get("Marker"):
            ids = [z["_id"] for z in zones]
            if p["Marker"] not in ids:
                raise _err("InvalidInput", f"Invalid marker {p['Marker']}.")
            start = ids.index(p["Marker"])
        got = zones[start:start + n]
        more = start + n < len(zones)
        return {"HostedZones": [self.view_zone(z) for z in got],
                "Marker": p.get("Marker", ""), "IsTruncated": more,
                "NextMarker": zones[start + n]["_id"] if more else None,
                "MaxItems": str(n)}

    def op_ListHostedZonesByName(self, ctx, p):
        zones = self._visible_zones()
        n = self._max_items(p.get("MaxItems"))
        if "HostedZoneId" in p and "DNSName" not in p:
            raise _err("InvalidInput", "HostedZoneId needs DNSName.")
        start = 0
        if "DNSName" in p:
            name = fqdn(p["DNSName"])
            key = (sort_key(name), p.get("HostedZoneId", ""))
            start = next((i for i, z in enumerate(zones)
                          if (sort_key(z["_name"]), z["_id"]) >= key), len(zones))
        got = zones[start:start + n]
        more = start + n < len(zones)
        nxt = zones[start + n] if more else None
        return {"HostedZones": [self.view_zone(z) for z in got],
                "DNSName": p.get("DNSName"), "HostedZoneId": p.get("HostedZoneId"),
                "IsTruncated": more,
                "NextDNSName": nxt["_name"] if nxt else None,
                "NextHostedZoneId": nxt["_id"] if nxt else None,
                "MaxItems": str(n)}

    def op_GetChange(self, ctx, p):
        cid = p["Id"]
        c = self.changes.get(cid)
        if c is None:
            raise _err("NoSuchChange", f"A change with the specified change ID "
                                       f"{cid} does not exist.")
        return {"ChangeInfo": self.view_change(c)}

    # ------------------------------------------------------------ records

    def _check_rrset(self, r, action):
        where = (f"[Action={action}, Name={r['Name']}, Type={r['Type']}, "
                 f"SetIdentifier={r.get('SetIdentifier', 'null')}]")
        alias = "AliasTarget" in r
        plain = "TTL" in r and "ResourceRecords" in r
        if alias == plain or (not alias and ("TTL" in r) != ("ResourceRecords" in r)):
            raise _err("InvalidInput",
                       "Invalid request: Expected exactly one of [AliasTarget, all of "
                       "[TTL, and ResourceRecords], or TrafficPolicyInstanceId], but "
                       f"found {'both' if alias and plain else 'none'} in Change with "
                       f"{where}")
        if alias and r["Type"] in ("SOA", "NS"):
            raise _err("InvalidChangeBatch", f"[Alias records of type {r['Type']} "
                                             f"are not supported]")
        problems = []
        for rr in r.get("ResourceRecords", []):
            v = rr["Value"]
            try:
                if r["Type"] == "A":
                    ipaddress.IPv4Address(v)
                elif r["Type"] == "AAAA":
                    ipaddress.IPv6Address(v)
            except ValueError:
                code = "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)" \
                    if r["Type"] == "A" else \
                    "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
                problems.append(f"{code} encountered with '{v}'")
        if r["Type"] == "CNAME" and len(r.get("ResourceRecords", [])) > 1:
            problems.append("RRSet of type CNAME with DNS name "
                            f"{r['Name']} contains more than one value.")
        return problems

    def op_ChangeResourceRecordSets(self, ctx, p):
        z = self.zone(p["HostedZoneId"], reading=False)
        batch = p["ChangeBatch"]
        if not batch["Changes"]:
            raise _err("InvalidInput", "ChangeBatch must contain at least one Change.")
        rrsets = dict(z["_rrsets"])
        problems = []
        for ch in batch["Changes"]:
            r = dict(ch["ResourceRecordSet"])
            action = ch["Action"]
            try:
                r["Name"] = fqdn(r["Name"].replace("\\052", "*"), "DNS name")
            except AwsError:
                problems.append(f"{r['Name']} is not a valid DNS name")
                continue
            name, rtype = r["Name"], r["Type"]
            if not (name == z["_name"] or name.endswith("." + z["_name"])):
                problems.append(f"RRSet with DNS name {name} is not permitted in zone "
                                f"{z['_name']}")
                continue
            key = (name, rtype, r.get("SetIdentifier", ""))
            desc = f"[name='{name}', type='{rtype}'" + (
                f", set-identifier='{r['SetIdentifier']}'" if "SetIdentifier" in r
                else "") + "]"
            if action in ("CREATE", "UPSERT"):
                problems += self._check_rrset(r, action)
                if action == "CREATE" and key in rrsets:
                    problems.append(f"Tried to create resource record set {desc} but "
                                    f"it already exists")
                    continue
                others = {k[1] for k in rrsets if k[0] == name and k != key}
                if rtype == "CNAME" and name == z["_name"]:
                    problems.append(f"RRSet of type CNAME with DNS name {name} is not "
                                    f"permitted at apex in zone {z['_name']}")
                    continue
                if rtype == "CNAME" and others:
                    problems.append(f"RRSet of type CNAME with DNS name {name} is not "
                                    f"permitted because a conflicting RRSet of type "
                                    f"{sorted(others)[0]} with the same DNS name "
                                    f"already exists in zone {z['_name']}")
                    continue
                if "CNAME" in others and rtype != "CNAME":
                    problems.append(f"RRSet of type {rtype} with DNS name {name} is not "
                                    f"permitted because a conflicting RRSet of type "
                                    f"CNAME with the same DNS name already exists in "
                                    f"zone {z['_name']}")
                    continue
                rrsets[key] = r
            else:
                have = rrsets.get(key)
                if have is None:
                    problems.append(f"Tried to delete resource record set {desc} but "
                                    f"it was not found")
                    continue
                if have != r:
                    problems.append(f"Tried to delete resource record set {desc} but "
                                    f"the values provided do not match the current "
                                    f"values")
                    continue
                if name == z["_name"] and rtype in ("NS", "SOA"):
                    problems.append(f"A HostedZone must contain at least one {rtype} "
                                    f"record for the zone itself.")
                    continue
                del rrsets[key]
        if problems:
            raise _err("InvalidChangeBatch", "[" + ", ".join(problems) + "]")
        z["_rrsets"] = rrsets
        c = self.new_change(batch.get("Comment"))
        return {"ChangeInfo": self.view_change(c)}

    def op_ListResourceRecordSets(self, ctx, p):
        z = self.zone(p["HostedZoneId"])
        items = self.sorted_rrsets(z)
        n = self._max_items(p.get("MaxItems"), 300)
        if "StartRecordType" in p and "StartRecordName" not in p:
            raise _err("InvalidInput", "The input is not valid: StartRecordType "
                                       "requires StartRecordName.")
        start = 0
        if "StartRecordName" in p:
            key = sort_key(fqdn(p["StartRecordName"], "DNS name"),
                           p.get("StartRecordType", ""), p.get("StartRecordIdentifier"))
            start = next((i for i, r in enumerate(items)
                          if sort_key(r["Name"], r["Type"], r.get("SetIdentifier")) >= key),
                         len(items))
        got = items[start:start + n]
        nxt = items[start + n] if start + n < len(items) else None
        return {"ResourceRecordSets": [self.view_rrset(r) for r in got],
                "IsTruncated": nxt is not None,
                "NextRecordName": nxt["Name"] if nxt else None,
                "NextRecordType": nxt["Type"] if nxt else None,
                "NextRecordIdentifier": nxt.get("SetIdentifier") if nxt else None,
                "MaxItems": str(n)}

    # ------------------------------------------------------------ tags

    def _tagged(self, p, reading):
        if p["ResourceType"] != "hostedzone":
            raise _err("InvalidInput", "Only hosted zone tags are simulated.")
        return self.zone(p["ResourceId"], reading)

    def op_ChangeTagsForResource(self, ctx, p):
        z = self._tagged(p, False)
        tags = dict(z["_tags"])
        for t in p.get("AddTags", []):
            if "Key" not in t:
                raise _err("InvalidInput", "A tag needs a Key.")
            tags[t["Key"]] = t.get("Value", "")
        for k in p.get("RemoveTagKeys", []):
            tags.pop(k, None)
        if len(tags) > 50:
            raise _err("InvalidInput", "A resource can have at most 50 tags.")
        z["_tags"] = tags
        return {}

    def op_ListTagsForResource(self, ctx, p):
        z = self._tagged(p, True)
        return {"ResourceTagSet": {"ResourceType": "hostedzone", "ResourceId": z["_id"],
                                   "Tags": [{"Key": k, "Value": v}
                                            for k, v in z["_tags"].items()]}}
