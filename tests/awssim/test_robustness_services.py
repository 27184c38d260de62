"""Never a 500 beside EC2 either: IAM, Route 53, ECR, ELBv2 and Secrets
Manager fed model-shaped junk through boto3 (its own validation off), with
real names mixed in."""

import json
import os
import random
import sys

from botocore.exceptions import ClientError

from simclient import SimTest
from test_robustness import POOL, junk

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awssimlib.ecr import Ecr  # noqa: E402
from awssimlib.elbv2 import Elbv2  # noqa: E402
from awssimlib.iam import Iam  # noqa: E402
from awssimlib.route53 import Route53  # noqa: E402
from awssimlib.secrets import SecretsManager  # noqa: E402

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class ServicesRobustnessTest(SimTest):
    SIM_ARGS = SimTest.SIM_ARGS + ("--seed", "4321", "--route53-sync-seconds", "0.1")

    def test_no_server_errors(self):
        rng = random.Random(4321)
        iam = self.sim.client("iam")
        iam.create_role(RoleName="web", AssumeRolePolicyDocument=TRUST)
        iam.create_instance_profile(InstanceProfileName="web")
        r53 = self.sim.client("route53")
        z = r53.create_hosted_zone(Name="junk.example.com", CallerReference="j")
        zid = z["HostedZone"]["Id"].split("/")[-1]
        cid = z["ChangeInfo"]["Id"].split("/")[-1]
        ecr = self.sim.client("ecr")
        arn = ecr.create_repository(repositoryName="web")["repository"]["repositoryArn"]
        pool = POOL + ["web", zid, cid, arn, "junk.example.com", "www.junk.example.com",
                       TRUST, "123456789012", "A", "CNAME", "hostedzone"] * 3
        seen = 0
        saved = list(POOL)
        self.addCleanup(lambda: POOL.__setitem__(slice(None), saved))
        POOL[:] = pool
        vpc = self.vpc()
        subs = [self.subnet(vpc, "10.20.0.0/24", "us-east-2a"),
                self.subnet(vpc, "10.20.1.0/24", "us-east-2b")]
        elb = self.sim.client("elbv2")
        lb = elb.create_load_balancer(Name="web", Subnets=subs)["LoadBalancers"][0]
        tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80,
                                     VpcId=vpc)["TargetGroups"][0]
        self.sim.client("secretsmanager").create_secret(Name="web", SecretString="pw")
        pool += [vpc, lb["LoadBalancerArn"], tg["TargetGroupArn"], "HTTP", "forward"] * 3
        POOL[:] = pool
        for service, cls in (("iam", Iam), ("route53", Route53), ("ecr", Ecr),
                             ("elbv2", Elbv2), ("secretsmanager", SecretsManager)):
            client = self.sim.client(service, validate=False)
            model = client.meta.service_model
            for op in sorted(n[3:] for n in dir(cls) if n.startswith("op_")):
                shape = model.operation_model(op).input_shape
                for attempt in range(10):
                    params = junk(shape, rng, 0, attempt > 0) if shape else {}
                    try:
                        getattr(client, snake(op))(**params)
                        status = 200
                    except ClientError as e:
                        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                        self.assertTrue(e.response["Error"]["Code"], (op, e.response))
                    seen += 1
                    self.assertLess(status, 500, (service, op, params))
        self.assertNotIn("Traceback", self.sim.read_log())
        self.assertGreater(seen, 400)
