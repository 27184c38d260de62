"""EC2 Instance Connect (SendSSHPublicKey) for the AWS simulator.

A JSON 1.1 protocol service (X-Amz-Target AWSEC2InstanceConnectService.*,
signing name ec2-instance-connect). The pushed key is authorised for the
named OS user only, on the instance's sshd, for 60 seconds.
"""

import time

from .ec2 import parse_public_key
from .protocol import AwsError

TARGET_PREFIX = "AWSEC2InstanceConnectService."
SERVICE = "ec2-instance-connect"
KEY_SECONDS = 60.0


class InstanceConnect:
    """The service object the server dispatches SendSSHPublicKey to."""

    def __init__(self, sim):
        self.sim = sim

    def op_SendSSHPublicKey(self, ctx, p):
        return send_ssh_public_key(self.sim, ctx.region, p)


def send_ssh_public_key(sim, region, p):
    reg = sim.regions.get(region)
    inst = reg.instances.get(p["InstanceId"]) if reg else None
    if inst is None:
        raise AwsError("EC2InstanceNotFoundException",
                       f"Instance not found: {p['InstanceId']}", 400)
    az = p.get("AvailabilityZone")
    if az is not None and az != inst["_zone"]:
        raise AwsError("InvalidArgsException",
                       f"Instance {p['InstanceId']} is not in availability zone "
                       f"{az}", 400)
    if inst["_state"] != "running":
        raise AwsError("EC2InstanceStateInvalidException",
                       f"Instance {p['InstanceId']} is not in a valid state "
                       f"(state: {inst['_state']})", 400)
    try:
        _, _, line = parse_public_key(p["SSHPublicKey"].encode("ascii", "replace"),
                                      min_rsa_bits=2048)
    except AwsError:
        raise AwsError("InvalidArgsException",
                       "The public key is not a valid RSA (2048 bits or more) "
                       "or ED25519 OpenSSH public key.", 400) from None
    host = inst.get("_host")
    if host is not None:
        secs = getattr(sim.opts, "instance_connect_seconds", KEY_SECONDS)
        host.push_key(p["InstanceOSUser"], line, time.time() + secs)
    return {"Success": True}

