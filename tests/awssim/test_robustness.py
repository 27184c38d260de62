"""Never a 500: every implemented action, fed model-shaped junk, answers 2xx/4xx."""

import random

from simclient import MODELS, SimTest

IMPLEMENTED_EC2 = None


def implemented():
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from awssimlib.ec2 import Sim
    from awssimlib.sts import Sts
    ec2 = sorted(n[3:] for n in dir(Sim) if n.startswith("op_"))
    sts = sorted(n[3:] for n in dir(Sts) if n.startswith("op_"))
    return ec2, sts


POOL = ["x", "", "vpc-0123456789abcdef0", "i-0123456789abcdef0",
        "sg-0123456789abcdef0", "10.0.0.0/16", "0.0.0.0/0", "10.20.0.0/24",
        "subnet-0123456789abcdef0", "a" * 300, "ümlaut", "*", "tcp", "-1"]


def junk(shape, rng, depth, everything):
    t = shape.type_name
    if t == "structure":
        out = {}
        if depth > 3:
            return out
        for name, m in shape.members.items():
            if name in shape.required_members or (everything and rng.random() < 0.5):
                out[name] = junk(m, rng, depth + 1, everything)
        return out
    if t == "list":
        return [junk(shape.member, rng, depth + 1, everything)
                for _ in range(rng.randint(1, 2))]
    if t == "map":
        return {"k": junk(shape.value, rng, depth + 1, everything)}
    if t in ("integer", "long"):
        return rng.choice([0, 1, 5, -1, 70000, 2 ** 31])
    if t in ("float", "double"):
        return 1.5
    if t == "boolean":
        return rng.random() < 0.5
    if t == "blob":
        return bytes(rng.getrandbits(8) for _ in range(8))
    if t == "timestamp":
        return "2024-01-01T00:00:00Z"
    if shape.enum:
        return rng.choice(shape.enum)
    return rng.choice(POOL)


class RobustnessTest(SimTest):
    # seeded ids too, so a failure repeats with the same requests
    SIM_ARGS = SimTest.SIM_ARGS + ("--seed", "1234")

    def test_no_server_errors(self):
        ec2_ops, sts_ops = implemented()
        rng = random.Random(1234)
        # real ids in the pool, so junk reaches past the NotFound checks
        vpc = self.vpc()
        sub = self.subnet(vpc)
        igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        sg = self.ok("CreateSecurityGroup", GroupName="g", Description="g",
                     VpcId=vpc)["GroupId"]
        iid = self.launch(sub, SecurityGroupIds=[sg])
        self.sim.wait_state(iid, "running")
        alloc = self.ok("AllocateAddress")["AllocationId"]
        rtb = self.ok("CreateRouteTable", VpcId=vpc)["RouteTable"]["RouteTableId"]
        vol = self.ok("CreateVolume", AvailabilityZone="us-east-2a", Size=1)["VolumeId"]
        snap = self.ok("CreateSnapshot", VolumeId=self.sim.wait_state(iid, "running")[
            "BlockDeviceMappings"][0]["Ebs"]["VolumeId"])["SnapshotId"]
        POOL.extend([vpc, sub, igw, sg, iid, alloc, rtb, self.image(), "us-east-2a",
                     "t3.micro", "/dev/sda1", "gp3", vol, snap, "/dev/sdf"] * 3)
        seen = 0
        # every plain Describe renders every live resource through the
        # strict encoder (an attached gateway, a running instance, ...)
        for op in ec2_ops:
            shape = MODELS["ec2"].operation_model(op).input_shape
            if op.startswith("Describe") and not shape.required_members:
                r = self.sim.call(op, {})
                self.assertEqual(r.status, 200, (op, r.raw))
        for service, ops in (("ec2", ec2_ops), ("sts", sts_ops)):
            model = MODELS[service]
            for op in ops:
                shape = model.operation_model(op).input_shape
                for attempt in range(12):
                    params = junk(shape, rng, 0, attempt > 0) if shape else {}
                    params.pop("DryRun", None)
                    r = self.sim.call(op, params, service=service)
                    seen += 1
                    self.assertLess(r.status, 500, (op, params, r.raw))
                    self.assertIn(r.status, (200, 400, 401, 403, 404, 412), (op, r.raw))
        log = self.sim.read_log()
        self.assertNotIn("Traceback", log)
        self.assertGreater(seen, 600)
