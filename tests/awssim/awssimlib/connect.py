"""EC2 Instance Connect (SendSSHPublicKey) for the AWS simulator.

A JSON 1.1 protocol service (X-Amz-Target AWSEC2InstanceConnectService.*,
signing name ec2-instance-connect). The pushed key is authorised for the
named OS user only, on the instance's sshd, for 60 seconds.
"""

import json
import re
import time

from .ec2 import parse_public_key
from .protocol import AwsError, model

TARGET_PREFIX = "AWSEC2InstanceConnectService."
SERVICE = "ec2-instance-connect"
KEY_SECONDS = 60.0


def decode_json(op_model, body):
    """Validate a JSON request body against the operation's input shape."""
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise AwsError("SerializationException",
                       "Start of structure or map found where not expected.",
                       400) from None
    if not isinstance(data, dict):
        raise AwsError("SerializationException",
                       "Expected a JSON object as the request body.", 400)
    shape = op_model.input_shape
    for k, v in data.items():
        if k not in shape.members:
            raise AwsError("InvalidArgsException",
                           f"Unknown parameter in input: \"{k}\"", 400)
        m = shape.members[k]
        if m.type_name == "string":
            if not isinstance(v, str):
                raise AwsError("SerializationException",
                               f"STRING_VALUE can not be converted to {k}", 400)
            lo, hi = m.metadata.get("min"), m.metadata.get("max")
            if (lo is not None and len(v) < lo) or (hi is not None and len(v) > hi):
                raise AwsError("InvalidArgsException",
                               f"Value for {k} has an invalid length.", 400)
            pat = m.metadata.get("pattern")
            if pat and not re.search(pat, v):
                raise AwsError("InvalidArgsException",
                               f"Value for {k} does not match the required "
                               f"pattern.", 400)
    for r in shape.required_members:
        if r not in data:
            raise AwsError("InvalidArgsException",
                           f"Missing required parameter in input: \"{r}\"", 400)
    return data


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


def op_model():
    return model(SERVICE).operation_model("SendSSHPublicKey")
