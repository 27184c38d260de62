"""The JSON 1.0/1.1 protocol (ECR, EC2 Instance Connect, ...).

A request is `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and
`Content-Type: application/x-amz-json-1.x`, its body the input shape as a
JSON object (timestamps as epoch seconds, blobs as base64). A response is
the output shape as JSON; an error `{"__type": code, "message": ...}` with
the status and `x-amzn-RequestId`.
"""

import base64
import binascii
import datetime
import json

from .protocol import AwsError


class Malformed(Exception):
    pass


def content_type(service_model):
    return f"application/x-amz-json-{service_model.metadata.get('jsonVersion', '1.0')}"


def operation_name(service_model, target):
    """The operation an X-Amz-Target names, or raise UnknownOperation."""
    prefix = service_model.metadata["targetPrefix"]
    head, _, name = (target or "").rpartition(".")
    if head != prefix or name not in service_model.operation_names:
        raise AwsError("UnknownOperationException",
                       f"Operation {target or '(none)'} is not supported.", 400)
    return name


def decode(shape, body):
    """Body bytes → Python values typed by `shape` (validation is the caller's)."""
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise Malformed("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Malformed("Start of list found where not expected")
    if shape is None:
        return data
    return _value(shape, data, "")


def _value(shape, v, path):
    if v is None:
        return None
    t = shape.type_name
    if t == "structure":
        if not isinstance(v, dict):
            raise Malformed(f"Expected a structure at '{path}'")
        out = {}
        for k, x in v.items():
            m = shape.members.get(k)
            # an unknown member is passed on for the validator to name
            out[k] = _value(m, x, f"{path}.{k}" if path else k) if m is not None else x
        return out
    if t == "list":
        if not isinstance(v, list):
            raise Malformed(f"Expected a list at '{path}'")
        return [_value(shape.member, x, f"{path}[{i}]") for i, x in enumerate(v)]
    if t == "map":
        if not isinstance(v, dict):
            raise Malformed(f"Expected a map at '{path}'")
        return {k: _value(shape.value, x, f"{path}.{k}") for k, x in v.items()}
    if t == "timestamp":
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise Malformed(f"Expected a timestamp at '{path}'")
        try:
            if isinstance(v, str):
                d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
                return d if d.tzinfo else d.replace(tzinfo=datetime.timezone.utc)
            return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise Malformed(f"Expected a timestamp at '{path}'") from None
    if t == "blob":
        if not isinstance(v, str):
            raise Malformed(f"Expected a base64 string at '{path}'")
        try:
            return base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise Malformed(f"Invalid base64 at '{path}'") from None
    if t == "string" and not isinstance(v, str):
        raise Malformed(f"STRING_VALUE can not be converted to {path}")
    if t in ("integer", "long") and (isinstance(v, bool) or not isinstance(v, int)):
        raise Malformed(f"NUMBER_VALUE can not be converted to {path}")
    if t == "boolean" and not isinstance(v, bool):
        raise Malformed(f"BOOLEAN_VALUE can not be converted to {path}")
    if t in ("float", "double") and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise Malformed(f"NUMBER_VALUE can not be converted to {path}")
    return v


def _out(shape, v, path):
    t = shape.type_name
    if t == "structure":
        if not isinstance(v, dict):
            raise TypeError(f"{path}: expected dict, got {v!r}")
        out = {}
        for k, x in v.items():
            if k.startswith("_") or x is None:
                continue
            if k not in shape.members:
                raise KeyError(f"{path}: {shape.name} has no member {k}")
            out[k] = _out(shape.members[k], x, f"{path}.{k}")
        return out
    if t == "list":
        return [_out(shape.member, x, f"{path}[{i}]") for i, x in enumerate(v)]
    if t == "map":
        return {k: _out(shape.value, x, f"{path}.{k}") for k, x in v.items()}
    if t == "timestamp":
        if isinstance(v, datetime.datetime):
            return round(v.timestamp(), 3)
        return float(v)
    if t == "blob":
        return base64.b64encode(v.encode() if isinstance(v, str) else v).decode()
    if t == "boolean" and not isinstance(v, bool):
        raise TypeError(f"{path}: expected bool, got {v!r}")
    if t in ("integer", "long") and (isinstance(v, bool) or not isinstance(v, int)):
        raise TypeError(f"{path}: expected int, got {v!r}")
    if t == "string":
        if not isinstance(v, str):
            raise TypeError(f"{path}: expected str, got {v!r}")
        if shape.enum and v not in shape.enum:
            raise ValueError(f"{path}: {v!r} not in enum {shape.name}")
    return v


def encode(op_model, data):
    shape = op_model.output_shape
    if shape is None:
        return b"{}"
    return json.dumps(_out(shape, data or {}, op_model.name)).encode("utf-8")


def encode_error(err):
    return json.dumps({"__type": err.code, "message": err.message}).encode("utf-8")
