#!/usr/bin/python3
"""Writes lib/aws/models/<service>.c from botocore's service models.

    tools/awsmodel.py [--out DIR]     write the tables (default lib/aws/models)
    tools/awsmodel.py --check         regenerate into a temporary folder and
                                      fail (exit 1) when the committed files differ
    tools/awsmodel.py --list          print service, operation and whether its
                                      input is modelled (for other tools)

The tables are committed so that craftctl builds without botocore; this
script (Debian's python3-botocore, no PyPI) is the only way they change.
lib/aws/model.h describes the layout. What is modelled:
- every service in SERVICES, with its metadata and every operation (name,
  HTTP method, request URI, input shape name), except ec2 whose operations
  are listed only when selected;
- the input shapes in full of the selected operations: every action of
  lib/aws/actions.c and the FEATURES below (the calls the coming features
  make), so the serializers can validate and encode them.
"""
import argparse
import filecmp
import json
import os
import re
import sys
import tempfile

import botocore
import botocore.session

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SERVICES = ["acm", "application-autoscaling", "cloudwatch", "ec2", "ecr", "ecs", "elbv2", "iam",
            "logs", "rds", "route53", "secretsmanager", "sns", "sts"]

# The calls the coming features make (HTTPS names, images, the instance
# role, data durability, the fleet tier), beyond lib/aws/actions.c.
FEATURES = {
    "acm": ["AddTagsToCertificate", "DeleteCertificate", "DescribeCertificate",
            "ListCertificates", "ListTagsForCertificate", "RequestCertificate"],
    "application-autoscaling": ["DeleteScalingPolicy", "DeregisterScalableTarget",
                                "DescribeScalableTargets", "DescribeScalingActivities",
                                "DescribeScalingPolicies", "PutScalingPolicy",
                                "RegisterScalableTarget"],
    "cloudwatch": ["DeleteAlarms", "DescribeAlarms", "GetMetricStatistics", "ListMetrics",
                   "ListTagsForResource", "PutMetricAlarm", "PutMetricData", "TagResource"],
    "ec2": ["AssociateIamInstanceProfile", "AttachVolume", "CreateSnapshot", "CreateVolume",
            "DeleteSnapshot", "DeleteVolume", "DescribeIamInstanceProfileAssociations",
            "DescribeSnapshots", "DetachVolume", "ModifyInstanceAttribute", "StopInstances",
            "CreateNatGateway", "DeleteNatGateway", "DescribeNatGateways",
            "CreateVpcEndpoint", "DeleteVpcEndpoints", "DescribeVpcEndpoints",
            "DescribeInstanceAttribute", "DisassociateIamInstanceProfile"],
    "ecr": ["BatchDeleteImage", "BatchGetImage", "CreateRepository", "DeleteLifecyclePolicy",
            "DeleteRepository", "DescribeImages", "DescribeRepositories",
            "GetAuthorizationToken", "GetLifecyclePolicy", "ListImages",
            "ListTagsForResource", "PutLifecyclePolicy", "TagResource"],
    "ecs": ["CreateCluster", "CreateService", "DeleteCluster", "DeleteService",
            "DeregisterTaskDefinition", "DescribeClusters", "DescribeServices",
            "DescribeTaskDefinition", "DescribeTasks", "ListClusters", "ListServices",
            "ListTagsForResource", "ListTaskDefinitions", "ListTasks",
            "RegisterTaskDefinition", "TagResource", "UpdateService"],
    "elbv2": ["AddTags", "CreateListener", "CreateLoadBalancer", "CreateRule",
              "CreateTargetGroup", "DeleteListener", "DeleteLoadBalancer", "DeleteRule",
              "DeleteTargetGroup", "DeregisterTargets", "DescribeListeners",
              "DescribeLoadBalancerAttributes", "DescribeLoadBalancers", "DescribeRules",
              "DescribeTags", "DescribeTargetGroupAttributes", "DescribeTargetGroups",
              "DescribeTargetHealth", "ModifyListener", "ModifyLoadBalancerAttributes",
              "ModifyTargetGroupAttributes", "RegisterTargets", "RemoveTags"],
    "iam": ["AddRoleToInstanceProfile", "AttachRolePolicy", "CreateInstanceProfile",
            "CreateRole", "DeleteInstanceProfile", "DeleteRole", "DeleteRolePolicy",
            "DetachRolePolicy", "GetInstanceProfile", "GetRole", "GetRolePolicy",
            "ListAttachedRolePolicies", "ListInstanceProfilesForRole", "ListRolePolicies",
            "PutRolePolicy", "RemoveRoleFromInstanceProfile", "TagRole", "UntagRole"],
    "logs": ["CreateLogGroup", "CreateLogStream", "DeleteLogGroup", "DeleteRetentionPolicy",
             "DescribeLogGroups", "DescribeLogStreams", "FilterLogEvents", "GetLogEvents",
             "ListTagsLogGroup", "PutLogEvents", "PutRetentionPolicy", "TagLogGroup"],
    "rds": ["AddTagsToResource", "CreateDBInstance", "CreateDBSnapshot", "CreateDBSubnetGroup",
            "DeleteDBInstance", "DeleteDBSnapshot", "DeleteDBSubnetGroup",
            "DescribeDBInstances", "DescribeDBSnapshots", "DescribeDBSubnetGroups",
            "ListTagsForResource", "ModifyDBInstance", "RemoveTagsFromResource"],
    "route53": ["ChangeResourceRecordSets", "ChangeTagsForResource", "CreateHostedZone",
                "DeleteHostedZone", "GetChange", "GetHostedZone", "ListHostedZones",
                "ListHostedZonesByName", "ListResourceRecordSets", "ListTagsForResource"],
    "secretsmanager": ["CreateSecret", "DeleteSecret", "DescribeSecret", "GetSecretValue",
                       "ListSecrets", "PutSecretValue", "RestoreSecret", "TagResource",
                       "UpdateSecret"],
    "sns": ["CreateTopic", "DeleteTopic", "GetTopicAttributes", "ListSubscriptionsByTopic",
            "ListTopics", "Publish", "SetTopicAttributes", "Subscribe", "Unsubscribe"],
    "sts": ["GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity"],
}

# No service craftctl calls speaks rest-json yet (nor sends a timestamp in
# a JSON body); so that those paths are tested against botocore all the
# same, a few operations of services that do are written to
# tests/unit/aws/models/ (linked into the unit tests and the differential
# test's driver only, never into craftctl).
TEST_MODELS = {
    "lambda": ["CreateFunction", "DeleteFunction", "GetFunction", "Invoke", "ListFunctions",
               "ListTags", "PutFunctionConcurrency", "TagResource", "UntagResource",
               "UpdateFunctionConfiguration"],
    # json with timestamps in the body (epoch seconds), which none of ours has
    "cloudtrail": ["LookupEvents"],
    # greedy {label+} URI labels
    "iot": ["ConfirmTopicRuleDestination", "DeleteTopicRuleDestination"],
    # a map in the query string, a fixed query in the URI, a blob payload
    "apigateway": ["GetExport", "ImportRestApi"],
    # timestamps in the query string
    "backup": ["ListBackupJobs"],
    # rest-xml with a structure payload carrying its own xmlNamespace
    "cloudfront": ["CreateInvalidation"],
}
TEST_OUT = os.path.join(REPO, "tests/unit/aws/models")

# Enums AWS grows faster than any model: listed, not enforced, so a new
# instance type is not refused by a craftctl built from an older botocore.
OPEN_ENUMS = {("ec2", "InstanceType"), ("route53", "ResourceRecordSetRegion"),
              ("route53", "VPCRegion"), ("route53", "CloudWatchRegion")}

PROTOCOLS = {"ec2": "EC2", "query": "QUERY", "json": "JSON", "rest-xml": "RESTXML",
             "rest-json": "RESTJSON"}
TYPES = {"structure": "STRUCTURE", "list": "LIST", "map": "MAP", "string": "STRING",
         "integer": "INTEGER", "long": "LONG", "boolean": "BOOLEAN", "float": "FLOAT",
         "double": "DOUBLE", "timestamp": "TIMESTAMP", "blob": "BLOB"}
LOCATIONS = {None: 0, "uri": 1, "querystring": 2, "header": 3, "headers": 4, "statusCode": 5}
TSFORMATS = {None: 0, "iso8601": 1, "unixTimestamp": 2, "rfc822": 3}
NONE = 0xFFFF


def actions_table():
    """{service: [action, ...]} from lib/aws/actions.c."""
    out = {}
    with open(os.path.join(REPO, "lib/aws/actions.c"), encoding="utf-8") as f:
        for m in re.finditer(r'\{\s*"([a-z0-9-]+)",\s*"([A-Za-z0-9]+)"', f.read()):
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def c_str(s):
    if s is None:
        return "0"
    return json.dumps(s, ensure_ascii=True)  # a JSON string is a valid C literal here


def ident(name):
    return re.sub(r"[^a-z0-9]", "_", name.lower())


class Builder:
    """Flattens one service's reachable input shapes into the three arrays."""

    def __init__(self, service, raw):
        self.service = service
        self.raw = raw["shapes"]
        self.shapes = []      # rows
        self.shape_index = {}
        self.members = []     # rows (filled per shape, in runs)
        self.enums = []
        self.enum_index = {}

    def member_row(self, name, ref, required):
        merged = dict(self.raw[ref["shape"]])
        merged.update(ref)
        ns = merged.get("xmlNamespace") or {}
        flags = 0
        if required:
            flags |= 0x01
        if merged.get("flattened"):
            flags |= 0x02
        if merged.get("xmlAttribute"):
            flags |= 0x04
        if merged.get("idempotencyToken"):
            flags |= 0x08
        if merged.get("jsonvalue"):
            flags |= 0x10
        if merged.get("hostLabel"):
            flags |= 0x20
        if merged.get("streaming"):
            flags |= 0x40
        return {"name": name, "loc_name": merged.get("locationName"),
                "query_name": merged.get("queryName"), "xml_ns": ns.get("uri"),
                "xml_prefix": ns.get("prefix"), "shape": self.shape(ref["shape"]),
                "location": LOCATIONS[merged.get("location")], "flags": flags,
                "ts": TSFORMATS[merged.get("timestampFormat")]}

    def enum_run(self, values):
        key = tuple(values)
        if key not in self.enum_index:
            self.enum_index[key] = len(self.enums)
            self.enums.extend(values)
        return self.enum_index[key]

    def shape(self, name):
        if name in self.shape_index:
            return self.shape_index[name]
        d = self.raw[name]
        idx = len(self.shapes)
        self.shape_index[name] = idx
        row = {"name": name, "type": TYPES[d["type"]], "flags": 0, "first": 0, "count": 0,
               "payload": NONE}
        self.shapes.append(row)
        if d.get("document"):
            row["flags"] |= 0x01
        if d["type"] == "string" and d.get("enum"):
            row["first"] = self.enum_run(d["enum"])
            row["count"] = len(d["enum"])
            if (self.service, name) in OPEN_ENUMS:
                row["flags"] |= 0x02
        if d["type"] == "structure" and not d.get("document"):
            required = set(d.get("required", []))
            # Rows first computed (recursion appends other runs), then
            # placed as one contiguous run.
            rows = [self.member_row(k, v, k in required) for k, v in d.get("members", {}).items()]
            row["first"], row["count"] = len(self.members), len(rows)
            self.members.extend(rows)
            if d.get("payload"):
                row["payload"] = list(d["members"]).index(d["payload"])
        elif d["type"] == "list":
            rows = [self.member_row("member", d["member"], False)]
            row["first"], row["count"] = len(self.members), 1
            self.members.extend(rows)
        elif d["type"] == "map":
            rows = [self.member_row("key", d["key"], False),
                    self.member_row("value", d["value"], False)]
            row["first"], row["count"] = len(self.members), 2
            self.members.extend(rows)
        return idx

    def input_ref(self, op):
        ref = op.get("input")
        if not ref:
            return NONE
        row = self.member_row("", ref, False)
        self.members.append(row)
        return len(self.members) - 1


def global_endpoints(endpoints, prefix):
    out = []
    for part in endpoints["partitions"]:
        svc = part["services"].get(prefix)
        if not svc or svc.get("isRegionalized", True):
            continue
        ep = svc["endpoints"].get(svc.get("partitionEndpoint", ""), {})
        region = ep.get("credentialScope", {}).get("region")
        host = ep.get("hostname")
        if region or host:
            out.append((part["partition"], host, region))
    return out


def generate(service, loader, endpoints, selected):
    raw = loader.load_service_model(service, "service-2")
    md = raw["metadata"]
    b = Builder(service, raw)
    ops = []
    for name in sorted(raw["operations"]):
        op = raw["operations"][name]
        full = name in selected
        if (service == "ec2" or service in TEST_MODELS) and not full:
            continue
        http = op.get("http", {})
        inp = b.input_ref(op) if full else NONE
        ops.append((name, http.get("method", "POST"), http.get("requestUri", "/"),
                    (op.get("input") or {}).get("shape"), inp))
    missing = sorted(set(selected) - set(raw["operations"]))
    if missing:
        sys.exit(f"awsmodel: {service} has no operation {', '.join(missing)} in botocore "
                 f"{botocore.__version__}")
    if len(b.shapes) >= NONE or len(b.members) >= NONE or len(b.enums) >= NONE:
        sys.exit(f"awsmodel: {service}: too many rows for 16-bit indices")
    v = ident(service)
    sid = md["serviceId"]
    env = "AWS_ENDPOINT_URL_" + sid.replace(" ", "_").upper()
    globs = global_endpoints(endpoints, md["endpointPrefix"])
    L = []
    L.append(f"/* GENERATED by tools/awsmodel.py from botocore {botocore.__version__}'s model of")
    L.append(f" * {service} ({md.get('serviceFullName', sid)}), API {md['apiVersion']}. Do not edit:")
    L.append(" * change the generator's lists and run it again. Committed so that craftctl")
    L.append(" * builds without botocore; `make test-unit` checks it is up to date.")
    L.append(" * Layout: lib/aws/model.h. */")
    L.append('#include "aws/model.h"')
    L.append("")
    L.append("/* clang-format off */")
    if b.enums:
        L.append("static const char *const enums[] = {")
        for i in range(0, len(b.enums), 4):
            L.append("\t" + " ".join(c_str(e) + "," for e in b.enums[i:i + 4]))
        L.append("};")
    L.append("")
    L.append("/* name, locationName, queryName, xmlNamespace uri, prefix, shape, location, flags,"
             " timestampFormat */")
    L.append("static const struct craft_aws_member members[] = {")
    for i, m in enumerate(b.members):
        L.append(f"\t/* {i} */ {{ {c_str(m['name'])}, {c_str(m['loc_name'])}, "
                 f"{c_str(m['query_name'])}, {c_str(m['xml_ns'])}, {c_str(m['xml_prefix'])}, "
                 f"{m['shape']}, {m['location']}, {m['flags']}, {m['ts']} }},")
    L.append("};")
    L.append("")
    L.append("/* name, type, flags, first, count, payload */")
    L.append("static const struct craft_aws_shape shapes[] = {")
    for i, s in enumerate(b.shapes):
        L.append(f"\t/* {i} */ {{ {c_str(s['name'])}, CRAFT_AWS_T_{s['type']}, {s['flags']}, "
                 f"{s['first']}, {s['count']}, {s['payload']} }},")
    L.append("};")
    L.append("")
    L.append("/* name, method, requestUri, input shape, input member (65535: not modelled) */")
    L.append("static const struct craft_aws_op ops[] = {")
    for name, method, uri, ishape, inp in ops:
        L.append(f"\t{{ {c_str(name)}, {c_str(method)}, {c_str(uri)}, {c_str(ishape)}, {inp} }},")
    L.append("};")
    if globs:
        L.append("")
        L.append("static const struct craft_aws_global globals[] = {")
        for part, host, region in globs:
            L.append(f"\t{{ {c_str(part)}, {c_str(host)}, {c_str(region)} }},")
        L.append("};")
    L.append("")
    n = lambda arr: f"sizeof({arr}) / sizeof({arr}[0])"
    L.append(f"const struct craft_aws_model craft_aws_model_{v} = {{")
    L.append(f"\t.name = {c_str(service)},")
    L.append(f"\t.protocol = CRAFT_AWS_PROTO_{PROTOCOLS[md['protocol']]},")
    L.append(f"\t.api_version = {c_str(md['apiVersion'])},")
    L.append(f"\t.endpoint_prefix = {c_str(md['endpointPrefix'])},")
    L.append(f"\t.signing_name = {c_str(md.get('signingName', md['endpointPrefix']))},")
    L.append(f"\t.service_id = {c_str(sid)},")
    L.append(f"\t.endpoint_env = {c_str(env)},")
    L.append(f"\t.target_prefix = {c_str(md.get('targetPrefix'))},")
    L.append(f"\t.json_version = {c_str(md.get('jsonVersion'))},")
    L.append(f"\t.xml_namespace = {c_str(md.get('xmlNamespace'))},")
    L.append(f"\t.global_endpoint = {c_str(md.get('globalEndpoint'))},")
    if globs:
        L.append(f"\t.globals = globals,\n\t.nglobals = {n('globals')},")
    L.append(f"\t.ops = ops,\n\t.nops = {n('ops')},")
    L.append(f"\t.shapes = shapes,\n\t.nshapes = {n('shapes')},")
    L.append(f"\t.members = members,\n\t.nmembers = {n('members')},")
    if b.enums:
        L.append(f"\t.enums = enums,\n\t.nenums = {n('enums')},")
    L.append("};")
    return "\n".join(L) + "\n", [(o[0], o[4] != NONE) for o in ops]


def selection():
    sel = {s: set(FEATURES.get(s, [])) for s in SERVICES}
    for svc, acts in actions_table().items():
        if svc not in sel:
            sys.exit(f"awsmodel: lib/aws/actions.c names service {svc}, not in SERVICES")
        sel[svc].update(acts)
    return sel


def write_all(out_dir, test_dir):
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    endpoints = loader.load_data("endpoints")
    sel = selection()
    listing = {}
    for svcs, folder, pick in ((SERVICES, out_dir, sel), (TEST_MODELS, test_dir, TEST_MODELS)):
        os.makedirs(folder, exist_ok=True)
        for svc in svcs:
            text, ops = generate(svc, loader, endpoints, set(pick[svc]))
            with open(os.path.join(folder, ident(svc) + ".c"), "w", encoding="utf-8") as f:
                f.write(text)
            listing[svc] = ops
    # one table of the test models, so test programs find them by name
    names = sorted(ident(svc) for svc in TEST_MODELS)
    lines = ["/* GENERATED by tools/awsmodel.py: the test-only models of this folder. */",
             '#include "aws/model.h"', "", "/* clang-format off */"]
    lines += [f"extern const struct craft_aws_model craft_aws_model_{n};" for n in names]
    lines.append("")
    lines.append("const struct craft_aws_model *const craft_aws_test_models[] = {")
    lines += [f"\t&craft_aws_model_{n}," for n in names] + ["\t0,", "};"]
    with open(os.path.join(test_dir, "index.c"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return listing


def differ(fresh_dir, committed):
    fresh = sorted(os.listdir(fresh_dir))
    have = sorted(f for f in os.listdir(committed) if f.endswith(".c")) \
        if os.path.isdir(committed) else []
    bad = [f for f in fresh if f not in have or not filecmp.cmp(
        os.path.join(fresh_dir, f), os.path.join(committed, f), shallow=False)]
    return bad + [f for f in have if f not in fresh], len(fresh)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "lib/aws/models"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        with tempfile.TemporaryDirectory() as tmp:
            for svc, ops in write_all(tmp, os.path.join(tmp, "test")).items():
                for name, full in ops:
                    print(svc, name, "full" if full else "listed")
        return 0
    if not args.check:
        write_all(args.out, TEST_OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_all(os.path.join(tmp, "lib"), os.path.join(tmp, "test"))
        bad, n = differ(os.path.join(tmp, "lib"), os.path.join(REPO, "lib/aws/models"))
        bad2, n2 = differ(os.path.join(tmp, "test"), TEST_OUT)
        bad += ["tests/unit/aws/models/" + f for f in bad2]
        if bad:
            print(f"awsmodel: the generated models are not what botocore {botocore.__version__} "
                  f"gives: {', '.join(bad)} differ; run tools/awsmodel.py")
            return 1
    print(f"awsmodel: lib/aws/models/ and tests/unit/aws/models/ match botocore "
          f"{botocore.__version__} ({n} + {n2} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
