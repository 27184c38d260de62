#!/usr/bin/python3
"""Writes tests/unit/aws/proto_cases.json: fixed serializer cases whose
expected requests are botocore's own serializer output (Debian
python3-botocore), for tests/unit/aws/test_proto.c.

    tests/awsproto/fixtures.py [--check]

Each case: the service, operation and parameters (as the C side takes them:
blobs as base64, timestamps as text or epoch seconds) and what botocore
makes of them: method, path, query string, headers, and the body with its
kind (form: byte for byte; json: equal as JSON; xml: equal as canonical
XML; raw: byte for byte, base64 in the file). Idempotency tokens absent
from the parameters are TOKEN below on both sides.
"""
import argparse
import base64
import json
import os
import sys
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import AWSRequest, prepare_request_dict
from botocore.handlers import fix_route53_ids
from botocore.serialize import create_serializer

TOKEN = "00000000-0000-4000-8000-000000000000"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "tests/unit/aws/proto_cases.json")
B = lambda b: base64.b64encode(b).decode()

# (name, service, operation, parameters); a ("blob", bytes) tuple is a blob.
CASES = [
    ("ec2 lists of structures and of strings", "ec2", "DescribeInstances",
     {"Filters": [{"Name": "tag:Name", "Values": ["a b", "c&d"]}, {"Name": "vpc-id", "Values": []}],
      "InstanceIds": ["i-1", "i-2"], "MaxResults": 5}),
    ("ec2 nested lists, booleans, integers, a given token", "ec2", "RunInstances",
     {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1, "ClientToken": "tok",
      "BlockDeviceMappings": [{"DeviceName": "/dev/sda1",
                               "Ebs": {"VolumeSize": 20, "DeleteOnTermination": True}}],
      "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "ü"}]}],
      "MetadataOptions": {"HttpTokens": "required"}}),
    ("ec2 an absent token is filled", "ec2", "CreateVolume",
     {"AvailabilityZone": "us-east-2a", "Size": 8, "Encrypted": False}),
    ("ec2 an empty list sends nothing", "ec2", "DescribeVpcs", {"VpcIds": []}),
    ("ec2 queryName and capitalised locationName", "ec2", "AuthorizeSecurityGroupIngress",
     {"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}),
    ("query ELBv2 lists are .member.N", "elbv2", "CreateLoadBalancer",
     {"Name": "lb", "Subnets": ["subnet-1", "subnet-2"], "Tags": [{"Key": "k", "Value": "v"}],
      "Type": "application"}),
    ("query RDS lists by their member's locationName", "rds", "CreateDBSubnetGroup",
     {"DBSubnetGroupName": "g", "DBSubnetGroupDescription": "d",
      "SubnetIds": ["subnet-1", "subnet-2"]}),
    ("query a map is entry.N.key/value", "sns", "CreateTopic",
     {"Name": "t", "Attributes": {"DisplayName": "x y", "Policy": "{}"}}),
    ("query a map of structures with a blob", "sns", "Publish",
     {"Message": "m", "MessageAttributes": {"a": {"DataType": "Binary",
                                                  "BinaryValue": ("blob", b"\x00\x01\xff")}}}),
    ("query timestamps as text (with microseconds) and doubles", "cloudwatch", "PutMetricData",
     {"Namespace": "n", "MetricData": [{"MetricName": "x", "Timestamp": "2020-01-02T03:04:05.250000Z",
                                        "Value": 1.5, "Dimensions": [{"Name": "a", "Value": "b"}]}]}),
    ("query a timestamp as epoch seconds", "cloudwatch", "GetMetricStatistics",
     {"Namespace": "n", "MetricName": "m", "StartTime": 1577934245, "EndTime": "2020-01-03T00:00:00Z",
      "Period": 60, "Statistics": ["Average", "Maximum"]}),
    ("query an empty list is sent empty", "iam", "CreateRole",
     {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": []}),
    ("query an empty string", "iam", "CreateRole",
     {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Description": ""}),
    ("json nested structures, lists, a map, booleans", "ecs", "RegisterTaskDefinition",
     {"family": "f", "containerDefinitions": [
         {"name": "web", "image": "nginx", "essential": True, "memory": 512,
          "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
          "dockerLabels": {"a": "1", "é": "2"}, "environment": []}]}),
    ("json a blob and a filled token", "secretsmanager", "CreateSecret",
     {"Name": "s", "SecretBinary": ("blob", b"secret\x00bytes")}),
    ("json an empty map", "logs", "CreateLogGroup", {"logGroupName": "g", "tags": {}}),
    ("json no parameters", "ecr", "DescribeRepositories", {}),
    ("json timestamps as epoch seconds", "cloudtrail", "LookupEvents",
     {"StartTime": "2021-06-01T00:00:00Z", "EndTime": 1622592000, "MaxResults": 5}),
    ("rest-xml URI label, nested lists, xmlNamespace", "route53", "ChangeResourceRecordSets",
     {"HostedZoneId": "Z1", "ChangeBatch": {"Comment": "c & <d>", "Changes": [
         {"Action": "UPSERT", "ResourceRecordSet": {
             "Name": "a.example.com.", "Type": "A", "TTL": 60,
             "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}]}}]}}),
    ("rest-xml query string", "route53", "ListResourceRecordSets",
     {"HostedZoneId": "Z1", "StartRecordName": "a b.example.com", "StartRecordType": "TXT",
      "MaxItems": "10"}),
    ("rest-xml a label with a slash in a non-id member", "route53", "ListResourceRecordSets",
     {"HostedZoneId": "Z1", "StartRecordIdentifier": "a/b c"}),
    ("rest-xml an id as Route 53 answers spell it", "route53", "GetChange", {"Id": "/change/C1"}),
    ("rest-xml a body without a payload member", "route53", "CreateHostedZone",
     {"Name": "example.com", "CallerReference": "ref-1",
      "HostedZoneConfig": {"Comment": "", "PrivateZone": False}}),
    ("rest-json headers and a raw blob payload", "lambda", "Invoke",
     {"FunctionName": "f", "InvocationType": "Event", "LogType": "Tail",
      "Payload": ("blob", b'{"k": 1}')}),
    ("rest-json a list in the query string", "lambda", "UntagResource",
     {"Resource": "arn:aws:lambda:us-east-1:1:function:f", "TagKeys": ["a", "b c"]}),
    ("rest-json body with a map and a blob", "lambda", "CreateFunction",
     {"FunctionName": "f", "Role": "arn:aws:iam::1:role/r", "Code": {"ZipFile": ("blob", b"PK")},
      "Environment": {"Variables": {"A": "1"}}, "Timeout": 3}),
    ("rest-json only a query string: no body", "lambda", "ListFunctions", {"MaxItems": 5}),
    ("rest-json a greedy label keeps its slashes", "iot", "DeleteTopicRuleDestination",
     {"arn": "arn:aws:iot:us-east-1:1:ruledestination/http/a b"}),
    ("rest-json a query-string map after the URI's fixed query, a blob payload", "apigateway",
     "ImportRestApi", {"parameters": {"endpointConfigurationTypes": "REGIONAL", "a b": "c"},
                       "failOnWarnings": True, "body": ("blob", b"{}")}),
    ("rest-json timestamps in the query string", "backup", "ListBackupJobs",
     {"ByCreatedAfter": "2021-01-01T00:00:00Z", "ByCreatedBefore": 1612137600, "MaxResults": 10}),
    ("rest-xml a structure payload", "cloudfront", "CreateInvalidation",
     {"DistributionId": "E1", "InvalidationBatch": {"Paths": {"Quantity": 1, "Items": ["/a b/*"]},
                                                    "CallerReference": "r"}}),
]


def split(params):
    """(botocore's params, the C side's)."""
    if isinstance(params, tuple) and params and params[0] == "blob":
        return params[1], B(params[1])
    if isinstance(params, dict):
        pairs = {k: split(v) for k, v in params.items()}
        return {k: a for k, (a, _) in pairs.items()}, {k: b for k, (_, b) in pairs.items()}
    if isinstance(params, list):
        pairs = [split(v) for v in params]
        return [a for a, _ in pairs], [b for _, b in pairs]
    return params, params


def case(session, name, svc, opname, params):
    model = session.get_service_model(svc)
    op = model.operation_model(opname)
    py, c = split(params)
    for mname, mem in (op.input_shape.members.items() if op.input_shape else []):
        if mem.metadata.get("idempotencyToken") and mname not in py:
            py[mname] = TOKEN
    if svc == "route53":
        fix_route53_ids(py, op)  # a before-parameter-build handler of botocore's client
    rd = create_serializer(model.protocol, include_validation=True).serialize_to_request(py, op)
    prepare_request_dict(rd, endpoint_url="https://example.amazonaws.com")
    body = AWSRequest(method=rd["method"], url=rd["url"], data=rd["body"]).body or b""
    url = urlsplit(rd["url"])
    kind = {"ec2": "form", "query": "form", "json": "json", "rest-json": "json",
            "rest-xml": "xml"}[model.protocol]
    payload = op.input_shape.serialization.get("payload") if op.input_shape else None
    if payload and op.input_shape.members[payload].type_name in ("blob", "string"):
        kind = "raw"
    return {"name": name, "service": svc, "op": opname, "params": c, "method": rd["method"],
            "path": url.path, "query": url.query,
            "headers": [[k, v] for k, v in rd["headers"].items()], "kind": kind,
            "body": B(body)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    session = botocore.session.get_session()
    text = json.dumps([case(session, *c) for c in CASES], indent=1, ensure_ascii=False) + "\n"
    if args.check:
        with open(OUT, encoding="utf-8") as f:
            same = f.read() == text
        print("fixtures: " + ("up to date" if same else "differ: run tests/awsproto/fixtures.py"))
        return 0 if same else 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
