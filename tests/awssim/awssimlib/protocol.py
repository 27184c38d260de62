"""Query/EC2 wire protocol for the AWS simulator, driven by botocore's models.

Requests are decoded from their flat Query-protocol form ("Filter.1.Name",
"TagSpecification.1.Tag.2.Key", "Tags.member.1.Key") into the nested
structure of the operation's input shape, and validated against it: unknown
parameters, missing required members, malformed integers, booleans,
timestamps, blobs and enum values are all rejected the way AWS rejects them.

Responses are serialized from plain dicts keyed by the model's member names
into the XML each protocol uses (EC2: members under the operation's
Response element, lists of <item>; Query: a <...Result> wrapper, lists of
<member>, and ResponseMetadata). A dict key the output shape does not have
is a simulator bug and raises, so responses cannot drift from the model.
"""

import base64
import binascii
import datetime
import re
import threading
import uuid
from xml.sax.saxutils import escape

import botocore.loaders
import botocore.model

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

# Values real EC2 sends that botocore's model does not list. botocore does
# not check enums when parsing, so clients see them as AWS sends them.
AWS_ENUM_DEVIATIONS = {
    # DescribeInternetGateways: an attached gateway's attachment is
    # "available" on EC2 (the model says attaching/attached/...).
    ("AttachmentStatus", "available"),
}

_LOADER = None
_MODELS = {}


# Loaded before the port is ready; the others on their first request (the
# IAM model alone is a tenth of the start-up CPU budget).
EAGER = ("ec2", "sts", "ec2-instance-connect")
_LOCK = threading.Lock()


def load_models():
    """Load the eagerly needed models (once, before serving).

    botocore's Loader and ServiceModel directly: the same models a
    botocore session would give, without importing the session machinery
    (which costs a tenth of a second of startup)."""
    for name in EAGER:
        model(name)
    return _MODELS


def model(service):
    m = _MODELS.get(service)
    if m is not None:
        return m
    global _LOADER
    with _LOCK:
        if _LOADER is None:
            _LOADER = botocore.loaders.Loader()
        if service not in _MODELS:
            _MODELS[service] = botocore.model.ServiceModel(
                _LOADER.load_service_model(service, "service-2"), service)
        return _MODELS[service]


class AwsError(Exception):
    """An error answered to the client in the service's error shape."""

    def __init__(self, code, message, status=400, sender=True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


def new_request_id():
    return str(uuid.uuid4())


# ---------------------------------------------------------------- decoding


def _serialized_name(protocol, ref_shape, default):
    ser = ref_shape.serialization
    if protocol == "ec2":
        if "queryName" in ser:
            return ser["queryName"]
        if "name" in ser:
            name = ser["name"]
            return name[0].upper() + name[1:]
        return default
    return ser.get("name", default)


class _Decoder:
    def __init__(self, protocol, params):
        self.protocol = protocol
        self.params = params
        self.used = set()

    def has_prefix(self, prefix):
        dotted = prefix + "."
        return any(k == prefix or k.startswith(dotted) for k in self.params)

    def decode_struct(self, shape, prefix):
        out = {}
        for mname, mshape in shape.members.items():
            sname = _serialized_name(self.protocol, mshape, mname)
            key = f"{prefix}.{sname}" if prefix else sname
            val = self.decode(mshape, key)
            if val is not None:
                out[mname] = val
        for req in shape.required_members:
            if req not in out:
                sname = _serialized_name(self.protocol, shape.members[req], req)
                key = f"{prefix}.{sname}" if prefix else sname
                raise AwsError(
                    "MissingParameter",
                    f"The request must contain the parameter {key}",
                )
        return out

    def decode(self, shape, key):
        t = shape.type_name
        if t == "structure":
            if not self.has_prefix(key):
                return None
            if key in self.params:
                raise AwsError(
                    "InvalidParameterValue",
                    f"The parameter {key} must be a structure, not a value",
                )
            return self.decode_struct(shape, key)
        if t == "list":
            return self.decode_list(shape, key)
        if t == "map":
            return self.decode_map(shape, key)
        if key not in self.params:
            return None
        self.used.add(key)
        return convert_scalar(shape, self.params[key], key)

    def _indices(self, base):
        dotted = base + "."
        idx = set()
        for k in self.params:
            if k.startswith(dotted):
                head = k[len(dotted):].split(".", 1)[0]
                if not head.isdigit() or int(head) < 1:
                    raise AwsError(
                        "UnknownParameter",
                        f"The parameter {k} is not recognized",
                    )
                idx.add(int(head))
        return sorted(idx)

    def decode_list(self, shape, key):
        if self.protocol == "ec2":
            base = key
        elif shape.serialization.get("flattened"):
            # a flattened list's member name, if it has one, replaces the
            # list's own last name component (botocore's QuerySerializer)
            mname = shape.member.serialization.get("name")
            base = ".".join(key.split(".")[:-1] + [mname]) if mname else key
        else:
            base = f"{key}.{shape.member.serialization.get('name', 'member')}"
        if key in self.params and self.params[key] == "" and base != key:
            self.used.add(key)
            return []
        idx = self._indices(base)
        if not idx:
            return None
        out = []
        for i in idx:
            v = self.decode(shape.member, f"{base}.{i}")
            if v is None:
                v = {} if shape.member.type_name == "structure" else None
            if v is None:
                continue
            out.append(v)
        return out

    def decode_map(self, shape, key):
        base = key if shape.serialization.get("flattened") else key + ".entry"
        idx = self._indices(base)
        if not idx:
            return None
        out = {}
        kname = _serialized_name(self.protocol, shape.key, "key")
        vname = _serialized_name(self.protocol, shape.value, "value")
        for i in idx:
            k = self.decode(shape.key, f"{base}.{i}.{kname}")
            v = self.decode(shape.value, f"{base}.{i}.{vname}")
            if k is None:
                raise AwsError(
                    "MissingParameter",
                    f"The request must contain the parameter {base}.{i}.{kname}",
                )
            out[k] = v
        return out


def convert_scalar(shape, raw, key):
    t = shape.type_name
    if t in ("integer", "long"):
        try:
            v = int(raw, 10)
        except ValueError:
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid value '{raw}' for {key}. Value must be an integer.",
            ) from None
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise AwsError(
                "InvalidParameterValue",
                f"Value ({raw}) for parameter {key} is invalid.",
            )
        return v
    if t in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid value '{raw}' for {key}. Value must be a number.",
            ) from None
    if t == "boolean":
        low = raw.lower()
        if low not in ("true", "false"):
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid value '{raw}' for {key}. Value must be a boolean.",
            )
        return low == "true"
    if t == "timestamp":
        try:
            return parse_timestamp(raw)
        except ValueError:
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid value '{raw}' for {key}. Value must be a timestamp.",
            ) from None
    if t == "blob":
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid BASE64 encoding of {key}",
            ) from None
    # string
    enum = shape.enum
    if enum and raw not in enum:
        raise AwsError(
            "InvalidParameterValue",
            f"Invalid value '{raw}' for {key}. Valid values: {', '.join(enum)}",
        )
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    if (lo is not None and len(raw) < lo) or (hi is not None and len(raw) > hi):
        raise AwsError(
            "InvalidParameterValue",
            f"Value ({raw}) for parameter {key} has an invalid length.",
        )
    pattern = shape.metadata.get("pattern")
    if pattern:
        try:
            ok = re.fullmatch(pattern, raw) is not None
        except re.error:
            ok = True
        if not ok:
            raise AwsError(
                "InvalidParameterValue",
                f"Value ({raw}) for parameter {key} does not match the "
                f"required pattern.",
            )
    return raw


def parse_timestamp(raw):
    s = raw.strip()
    if s.isdigit():
        return datetime.datetime.fromtimestamp(int(s), datetime.timezone.utc)
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


def decode_request(service, op_model, params):
    """Decode and validate flat params (Action/Version removed) for an op."""
    protocol = model(service).metadata["protocol"]
    dec = _Decoder(protocol, params)
    shape = op_model.input_shape
    try:
        out = dec.decode_struct(shape, "") if shape is not None else {}
        for k in params:
            if k not in dec.used:
                raise AwsError(
                    "UnknownParameter", f"The parameter {k} is not recognized"
                )
    except AwsError as e:
        # STS (plain Query protocol) reports every input problem as a
        # ValidationError, EC2 with its specific codes.
        if protocol != "ec2" and e.code in ("InvalidParameterValue", "MissingParameter"):
            raise AwsError("ValidationError", e.message) from None
        raise
    return out


# ---------------------------------------------------------------- encoding


def fmt_time(value):
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class _Encoder:
    def __init__(self, protocol):
        self.protocol = protocol
        self.out = []

    def scalar(self, shape, value, path):
        t = shape.type_name
        if t == "boolean":
            if not isinstance(value, bool):
                raise TypeError(f"{path}: expected bool, got {value!r}")
            return "true" if value else "false"
        if t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{path}: expected int, got {value!r}")
            return str(value)
        if t in ("float", "double"):
            return repr(float(value))
        if t == "timestamp":
            return fmt_time(value)
        if t == "blob":
            if isinstance(value, str):
                value = value.encode()
            return base64.b64encode(value).decode()
        if not isinstance(value, str):
            raise TypeError(f"{path}: expected str, got {value!r}")
        if shape.enum and value not in shape.enum and \
                (shape.name, value) not in AWS_ENUM_DEVIATIONS:
            raise ValueError(f"{path}: {value!r} not in enum {shape.name}")
        return value

    def element(self, tag, shape, value, path):
        t = shape.type_name
        if t == "structure":
            self.out.append(f"<{tag}>")
            self.struct_body(shape, value, path)
            self.out.append(f"</{tag}>")
        elif t == "list":
            if not isinstance(value, list):
                raise TypeError(f"{path}: expected list, got {value!r}")
            mname = shape.member.serialization.get(
                "name", "item" if self.protocol == "ec2" else "member"
            )
            if shape.serialization.get("flattened"):
                for i, v in enumerate(value):
                    self.element(tag, shape.member, v, f"{path}[{i}]")
            else:
                self.out.append(f"<{tag}>")
                for i, v in enumerate(value):
                    self.element(mname, shape.member, v, f"{path}[{i}]")
                self.out.append(f"</{tag}>")
        elif t == "map":
            self.out.append(f"<{tag}>")
            for k, v in value.items():
                self.out.append("<entry>")
                self.element("key", shape.key, k, path)
                self.element("value", shape.value, v, path)
                self.out.append("</entry>")
            self.out.append(f"</{tag}>")
        else:
            text = escape(self.scalar(shape, value, path))
            self.out.append(f"<{tag}>{text}</{tag}>")

    def struct_body(self, shape, value, path):
        if not isinstance(value, dict):
            raise TypeError(f"{path}: expected dict, got {value!r}")
        for k, v in value.items():
            if k.startswith("_") or v is None:
                continue
            if k not in shape.members:
                raise KeyError(f"{path}: {shape.name} has no member {k}")
            mshape = shape.members[k]
            tag = mshape.serialization.get("name", k)
            self.element(tag, mshape, v, f"{path}.{k}")


def encode_response(service, op_model, data, request_id):
    """Serialize `data` (dict keyed by member names) for op_model's output."""
    m = model(service)
    protocol = m.metadata["protocol"]
    enc = _Encoder(protocol)
    name = op_model.name
    shape = op_model.output_shape
    if protocol == "ec2":
        enc.out.append('<?xml version="1.0" encoding="UTF-8"?>')
        enc.out.append(f'<{name}Response xmlns="{EC2_NS}">')
        enc.out.append(f"<requestId>{request_id}</requestId>")
        if shape is None:
            enc.out.append("<return>true</return>")
        else:
            enc.struct_body(shape, data or {}, name)
        enc.out.append(f"</{name}Response>")
    else:
        ns = m.metadata["xmlNamespace"]
        enc.out.append(f'<{name}Response xmlns="{ns}">')
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
            enc.out.append(f"<{wrapper}>")
            enc.struct_body(shape, data or {}, name)
            enc.out.append(f"</{wrapper}>")
        enc.out.append(
            "<ResponseMetadata><RequestId>"
            f"{request_id}</RequestId></ResponseMetadata>"
        )
        enc.out.append(f"</{name}Response>")
    return "".join(enc.out).encode("utf-8")


def encode_error(service, err, request_id):
    code = escape(err.code)
    msg = escape(err.message)
    if model(service).metadata["protocol"] == "query":
        ns = model(service).metadata["xmlNamespace"]
        kind = "Sender" if err.sender else "Receiver"
        return (
            f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
            f"<Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode("utf-8")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{code}</Code>"
        f"<Message>{msg}</Message></Error></Errors>"
        f"<RequestID>{request_id}</RequestID></Response>"
    ).encode("utf-8")
