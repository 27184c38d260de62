"""ELBv2 (Query protocol, `member` lists) through boto3, against the simulated EC2."""

import time

from simclient import SimTest


class Elbv2Test(SimTest):
    SIM_ARGS = SimTest.SIM_ARGS + ("--elb-seconds", "0.5")

    def setUp(self):
        super().setUp()
        self.elb = self.sim.client("elbv2")
        self.vpc_id = self.vpc()
        self.subs = [self.subnet(self.vpc_id, "10.20.0.0/24", "us-east-2a"),
                     self.subnet(self.vpc_id, "10.20.1.0/24", "us-east-2b")]

    def until(self, fn, want, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = fn()
            if got == want:
                return
            time.sleep(0.1)
        self.fail(f"still {got!r}, wanted {want!r}")

    def test_load_balancer_life_cycle(self):
        elb = self.elb
        lb = elb.create_load_balancer(Name="web", Subnets=self.subs,
                                      Tags=[{"Key": "craftctl:stack", "Value": "s"}])[
            "LoadBalancers"][0]
        self.assertEqual(lb["State"]["Code"], "provisioning")
        self.assertEqual(lb["VpcId"], self.vpc_id)
        self.assertEqual(len(lb["SecurityGroups"]), 1)    # the VPC's default group
        arn = lb["LoadBalancerArn"]
        elb.get_waiter("load_balancer_available").wait(
            LoadBalancerArns=[arn], WaiterConfig={"Delay": 0.2, "MaxAttempts": 30})
        tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=8000,
                                     VpcId=self.vpc_id, HealthCheckPath="/health")[
            "TargetGroups"][0]
        iid = self.launch(self.subs[0])
        self.sim.wait_state(iid, "running")
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": iid}])

        def health():
            d = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
            return [x["TargetHealth"]["State"] for x in d["TargetHealthDescriptions"]]
        self.assertEqual(health(), ["unused"])      # no listener forwards yet
        ls = elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                                 DefaultActions=[{"Type": "forward",
                                                  "TargetGroupArn": tg["TargetGroupArn"]}])[
            "Listeners"][0]
        self.assertEqual(health(), ["initial"])
        self.until(health, ["healthy"])
        got = elb.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
        self.assertEqual([g["LoadBalancerArns"] for g in got], [[arn]])
        self.refused("DuplicateListener", elb.create_listener, LoadBalancerArn=arn,
                     Port=80, Protocol="HTTP",
                     DefaultActions=[{"Type": "forward",
                                      "TargetGroupArn": tg["TargetGroupArn"]}])
        self.refused("ResourceInUse", elb.delete_target_group,
                     TargetGroupArn=tg["TargetGroupArn"], status=400)
        elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": iid}])
        self.assertEqual(health(), ["draining"])
        self.until(health, [])
        self.assertEqual(elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"],
                         [{"Key": "craftctl:stack", "Value": "s"}])
        elb.delete_listener(ListenerArn=ls["ListenerArn"])
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
        elb.delete_load_balancer(LoadBalancerArn=arn)
        self.refused("LoadBalancerNotFound", elb.describe_load_balancers,
                     LoadBalancerArns=[arn])

    def test_refusals(self):
        elb = self.elb
        self.refused("InvalidConfigurationRequest", elb.create_load_balancer,
                     Name="one", Subnets=self.subs[:1])
        self.refused("SubnetNotFound", elb.create_load_balancer, Name="x",
                     Subnets=["subnet-0123456789abcdef0", self.subs[0]])
        self.refused("InvalidSecurityGroup", elb.create_load_balancer, Name="x",
                     Subnets=self.subs, SecurityGroups=["sg-0123456789abcdef0"])
        self.refused("ValidationError", elb.create_load_balancer, Name="-bad-",
                     Subnets=self.subs)
        lb = elb.create_load_balancer(Name="web", Subnets=self.subs)["LoadBalancers"][0]
        self.refused("DuplicateLoadBalancerName", elb.create_load_balancer, Name="web",
                     Subnets=self.subs)
        tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80,
                                     VpcId=self.vpc_id)["TargetGroups"][0]
        self.refused("DuplicateTargetGroupName", elb.create_target_group, Name="tg",
                     Protocol="HTTP", Port=80, VpcId=self.vpc_id)
        self.refused("InvalidTarget", elb.register_targets, TargetGroupArn=tg["TargetGroupArn"],
                     Targets=[{"Id": "i-0123456789abcdef0"}])
        self.refused("CertificateNotFound", elb.create_listener,
                     LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        self.refused("TargetGroupNotFound", elb.describe_target_health,
                     TargetGroupArn=tg["TargetGroupArn"] + "0")
        # the model's enum, checked as the Query services do
        raw = self.sim.client("elbv2", validate=False)
        self.refused("ValidationError", raw.create_target_group, Name="t2",
                     Protocol="GOPHER", Port=80, VpcId=self.vpc_id)
