"""Route 53 (REST-XML) through boto3: zones, record sets, changes, refusals."""

import time

from simclient import SimTest


def rrset(name, value="127.0.0.5", rtype="A", ttl=60):
    return {"Name": name, "Type": rtype, "TTL": ttl,
            "ResourceRecords": [{"Value": value}]}


def change(action, rr):
    return {"Changes": [{"Action": action, "ResourceRecordSet": rr}]}


class Route53Test(SimTest):
    SIM_ARGS = ("--route53-sync-seconds", "0.5")

    def setUp(self):
        super().setUp()
        self.r53 = self.sim.client("route53")

    def zone(self, name="example.com", ref="ref-1", **kw):
        return self.r53.create_hosted_zone(Name=name, CallerReference=ref, **kw)

    def test_zone_and_record_life_cycle(self):
        r53 = self.r53
        z = self.zone(HostedZoneConfig={"Comment": "craftctl"})
        zid = z["HostedZone"]["Id"]
        self.assertTrue(zid.startswith("/hostedzone/Z"))
        self.assertEqual(z["HostedZone"]["Name"], "example.com.")
        self.assertEqual(z["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertTrue(z["Location"].endswith(zid.split("/")[-1]))
        self.assertEqual(len(z["DelegationSet"]["NameServers"]), 4)
        # the same CallerReference and arguments: the same zone (a retry)
        again = self.zone(HostedZoneConfig={"Comment": "craftctl"})
        self.assertEqual(again["HostedZone"]["Id"], zid)
        found = r53.list_hosted_zones_by_name(DNSName="example.com", MaxItems="1")
        self.assertEqual(found["HostedZones"][0]["Id"], zid)
        self.assertEqual(r53.get_hosted_zone(Id=zid)["HostedZone"]["Config"]["Comment"],
                         "craftctl")

        ch = r53.change_resource_record_sets(HostedZoneId=zid,
                                             ChangeBatch=change("CREATE", rrset("www.example.com")))
        self.assertEqual(ch["ChangeInfo"]["Status"], "PENDING")
        r53.get_waiter("resource_record_sets_changed").wait(
            Id=ch["ChangeInfo"]["Id"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 25})
        self.assertEqual(r53.get_change(Id=ch["ChangeInfo"]["Id"])["ChangeInfo"]["Status"],
                         "INSYNC")
        r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch=change(
            "UPSERT", rrset("www.example.com", "127.0.0.6")))
        sets = r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]
        self.assertEqual([(s["Name"], s["Type"]) for s in sets],
                         [("example.com.", "NS"), ("example.com.", "SOA"),
                          ("www.example.com.", "A")])
        self.assertEqual(sets[2]["ResourceRecords"], [{"Value": "127.0.0.6"}])
        page = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName="www.example.com",
                                             StartRecordType="A", MaxItems="1")
        self.assertEqual(page["ResourceRecordSets"][0]["Name"], "www.example.com.")
        r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid.split("/")[-1],
                                     AddTags=[{"Key": "craftctl:stack", "Value": "s"}])
        tags = r53.list_tags_for_resource(ResourceType="hostedzone",
                                          ResourceId=zid.split("/")[-1])
        self.assertEqual(tags["ResourceTagSet"]["Tags"], [{"Key": "craftctl:stack", "Value": "s"}])

        self.refused("HostedZoneNotEmpty", r53.delete_hosted_zone, Id=zid, status=400)
        r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch=change(
            "DELETE", rrset("www.example.com", "127.0.0.6")))
        r53.delete_hosted_zone(Id=zid)
        self.refused("NoSuchHostedZone", r53.get_hosted_zone, Id=zid, status=404)

    def test_change_batch_refusals(self):
        r53 = self.r53
        zid = self.zone()["HostedZone"]["Id"]
        r53.change_resource_record_sets(HostedZoneId=zid,
                                        ChangeBatch=change("CREATE", rrset("a.example.com")))
        cases = [
            (change("CREATE", rrset("a.example.com")), "but it already exists"),
            (change("DELETE", rrset("b.example.com")), "but it was not found"),
            (change("DELETE", rrset("a.example.com", ttl=300)),
             "do not match the current values"),
            (change("CREATE", rrset("a.example.org")), "is not permitted in zone"),
            (change("CREATE", rrset("a.example.com", "a.example.net.", "CNAME")),
             "conflicting RRSet of type A"),
            (change("CREATE", rrset("c.example.com", "not-an-ip")), "IllegalIPv4Address"),
        ]
        for batch, words in cases:
            e = self.refused("InvalidChangeBatch", r53.change_resource_record_sets,
                             HostedZoneId=zid, ChangeBatch=batch, status=400)
            self.assertIn(words, e["Message"])
        ns = r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"][0]
        e = self.refused("InvalidChangeBatch", r53.change_resource_record_sets,
                         HostedZoneId=zid, ChangeBatch=change("DELETE", ns))
        self.assertIn("at least one NS record", e["Message"])
        # a batch is all or nothing: the good change is not applied either
        bad = {"Changes": [{"Action": "CREATE", "ResourceRecordSet": rrset("d.example.com")},
                           {"Action": "CREATE", "ResourceRecordSet": rrset("a.example.com")}]}
        self.refused("InvalidChangeBatch", r53.change_resource_record_sets,
                     HostedZoneId=zid, ChangeBatch=bad)
        names = [s["Name"] for s in
                 r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]]
        self.assertNotIn("d.example.com.", names)
        self.refused("InvalidInput", r53.change_resource_record_sets, HostedZoneId=zid,
                     ChangeBatch=change("CREATE", {"Name": "e.example.com", "Type": "A"}))
        # the model's enums are checked: AWS's InvalidInput
        self.refused("InvalidInput", r53.change_resource_record_sets, HostedZoneId=zid,
                     ChangeBatch=change("REPLACE", rrset("a.example.com")))
        self.refused("NoSuchHostedZone", r53.change_resource_record_sets,
                     HostedZoneId="ZNOSUCHZONE", ChangeBatch=change("CREATE", rrset("x.y")))
        self.refused("NoSuchChange", r53.get_change, Id="CNOSUCHCHANGE", status=404)

    def test_caller_reference_and_names(self):
        self.zone()
        self.refused("HostedZoneAlreadyExists", self.zone, name="example.org", status=409)
        self.refused("InvalidDomainName", self.zone, name="bad_name!.com", ref="r2")
        # two public zones may share a name, as on AWS
        self.zone(ref="r3")
        zones = self.r53.list_hosted_zones()["HostedZones"]
        self.assertEqual([z["Name"] for z in zones], ["example.com.", "example.com."])


class Route53ConsistencyTest(SimTest):
    SIM_ARGS = ("--consistency-delay-ms", "1000", "--seed", "5")

    def test_not_found_right_after_create(self):
        r53 = self.sim.client("route53")
        missing = 0
        for i in range(6):
            zid = r53.create_hosted_zone(Name=f"z{i}.example.com",
                                         CallerReference=f"c{i}")["HostedZone"]["Id"]
            try:
                r53.get_hosted_zone(Id=zid)
            except r53.exceptions.NoSuchHostedZone:
                missing += 1
        self.assertGreater(missing, 0)
        time.sleep(1.1)
        self.assertEqual(len(r53.list_hosted_zones()["HostedZones"]), 6)
