"""What every request and response goes through, whatever the protocol.

- `validate`: decoded arguments against the operation's input shape, first
  with botocore's own ParamValidator (unknown members, missing required
  ones, types, minimums), then the constraints botocore leaves to the
  service (maximum lengths and values, enums, patterns), reported the way
  AWS's services word them ("1 validation error detected: Value ... at
  'name' failed to satisfy constraint: ...").
- `parse_back`: the bytes about to be sent, parsed by botocore's response
  parser for the protocol and compared with what the handler meant to say;
  a response a real client would read differently is a simulator bug and
  raises (the request is answered 500 and the log has the traceback).
"""

import base64
import datetime
import re

from botocore.parsers import create_parser
from botocore.validate import ParamValidator

from .protocol import AwsError

_VALIDATOR = ParamValidator()


class Invalid(Exception):
    """One input problem: kind is unknown/missing/type/constraint."""

    def __init__(self, kind, where, message):
        super().__init__(message)
        self.kind = kind
        self.where = where
        self.message = message


def _coral_value(v):
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return "[...]" if isinstance(v, list) else "{...}"
    return f"'{v}'"


def validate(shape, args):
    """Raise Invalid for the first thing AWS would refuse in `args`."""
    if shape is None:
        if args:
            raise Invalid("unknown", next(iter(args)),
                          f"Unknown parameter in input: \"{next(iter(args))}\"")
        return
    report = _VALIDATOR.validate(args, shape)
    if report.has_errors():
        kind, name, extra = report._errors[0]
        where = name.lstrip(".")
        if kind == "missing required field":
            member = extra["required_name"]
            path = f"{where}.{member}" if where else member
            raise Invalid("missing", path,
                          f"1 validation error detected: Value null at "
                          f"'{_camel(path)}' failed to satisfy constraint: "
                          f"Member must not be null")
        if kind == "unknown field":
            member = extra["unknown_param"]
            raise Invalid("unknown", f"{where}.{member}" if where else member,
                          report._format_error(report._errors[0]))
        raise Invalid("type", where, report._format_error(report._errors[0]))
    _constraints(shape, args, "")


def _camel(path):
    return ".".join(p[:1].lower() + p[1:] for p in path.split("."))


def _constraints(shape, value, path):
    t = shape.type_name
    if t == "structure":
        for k, v in value.items():
            if v is not None:
                _constraints(shape.members[k], v, f"{path}.{k}" if path else k)
        return
    if t == "list":
        _bounds(shape, len(value), value, path, "length")
        for i, v in enumerate(value):
            _constraints(shape.member, v, f"{path}.{i + 1}")
        return
    if t == "map":
        _bounds(shape, len(value), value, path, "length")
        for k, v in value.items():
            _constraints(shape.key, k, path)
            _constraints(shape.value, v, f"{path}.{k}")
        return
    if t in ("integer", "long"):
        _bounds(shape, value, value, path, "value")
        return
    if t != "string":
        return
    _bounds(shape, len(value), value, path, "length")
    if shape.enum and value not in shape.enum:
        raise Invalid("constraint", path,
                      f"1 validation error detected: Value '{value}' at "
                      f"'{_camel(path)}' failed to satisfy constraint: Member "
                      f"must satisfy enum value set: [{', '.join(shape.enum)}]")
    pattern = shape.metadata.get("pattern")
    if pattern:
        try:
            ok = re.fullmatch(pattern, value) is not None
        except re.error:    # a Java-only construct: the service would judge
            ok = True
        if not ok:
            raise Invalid("constraint", path,
                          f"1 validation error detected: Value '{value}' at "
                          f"'{_camel(path)}' failed to satisfy constraint: "
                          f"Member must satisfy regular expression pattern: "
                          f"{pattern}")


def _bounds(shape, n, value, path, what):
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    if lo is not None and n < lo:
        word = "greater than or equal to" if what == "value" else \
            "length greater than or equal to"
        raise Invalid("constraint", path,
                      f"1 validation error detected: Value {_coral_value(value)} "
                      f"at '{_camel(path)}' failed to satisfy constraint: "
                      f"Member must have {word} {lo}")
    if hi is not None and n > hi:
        word = "less than or equal to" if what == "value" else \
            "length less than or equal to"
        raise Invalid("constraint", path,
                      f"1 validation error detected: Value {_coral_value(value)} "
                      f"at '{_camel(path)}' failed to satisfy constraint: "
                      f"Member must have {word} {hi}")


# ---------------------------------------------------------------- parse back


def parse_back(protocol, op_model, status, headers, body, data=None, error=None):
    """Parse the response as botocore would; raise if it says otherwise."""
    parser = create_parser(protocol)
    parsed = parser.parse({"status_code": status, "headers": headers,
                           "body": body}, op_model.output_shape)
    if error is not None:
        got = parsed.get("Error", {}).get("Code")
        if got != error.code:
            raise AssertionError(f"{op_model.name}: error {error.code} parses "
                                 f"as {got!r}: {body[:300]!r}")
        return parsed
    if "Error" in parsed and status < 300:
        raise AssertionError(f"{op_model.name}: success parses as an error")
    if op_model.output_shape is not None and data:
        same(op_model.output_shape, data, parsed, op_model.name)
    return parsed


def _epoch(v):
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        v = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if v.tzinfo is None:
        v = v.replace(tzinfo=datetime.timezone.utc)
    return v.timestamp()


def _empty(v):
    return v in ("", [], {}) or v is None


def same(shape, sent, parsed, path):
    """`parsed` (botocore's reading) says what `sent` (the handler's) said."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(parsed, dict):
            raise AssertionError(f"{path}: parsed as {parsed!r}")
        for k, v in sent.items():
            if k.startswith("_") or v is None:
                continue
            if k not in parsed:
                if _empty(v):   # botocore drops some empty values; so would a client
                    continue
                raise AssertionError(f"{path}.{k}: sent {v!r}, botocore did not "
                                     f"parse it")
            same(shape.members[k], v, parsed[k], f"{path}.{k}")
        return
    if t == "list":
        if len(sent) != len(parsed or []):
            raise AssertionError(f"{path}: sent {len(sent)} items, botocore "
                                 f"parsed {parsed!r}")
        for i, (a, b) in enumerate(zip(sent, parsed)):
            same(shape.member, a, b, f"{path}[{i}]")
        return
    if t == "map":
        if set(sent) != set(parsed or {}):
            raise AssertionError(f"{path}: keys {sorted(sent)} parsed as "
                                 f"{sorted(parsed or {})}")
        for k, v in sent.items():
            same(shape.value, v, parsed[k], f"{path}.{k}")
        return
    if t == "timestamp":
        if abs(_epoch(sent) - _epoch(parsed)) > 0.001:
            raise AssertionError(f"{path}: sent {sent!r}, parsed {parsed!r}")
        return
    if t == "blob":
        want = sent.encode() if isinstance(sent, str) else bytes(sent)
        got = parsed.encode() if isinstance(parsed, str) else parsed
        if want != got:
            raise AssertionError(f"{path}: blob {want[:40]!r} parsed as {got[:40]!r}")
        return
    if t in ("float", "double"):
        if abs(float(sent) - float(parsed)) > 1e-9 * max(1.0, abs(float(sent))):
            raise AssertionError(f"{path}: sent {sent!r}, parsed {parsed!r}")
        return
    if sent != parsed and not (_empty(sent) and _empty(parsed)):
        raise AssertionError(f"{path}: sent {sent!r}, parsed {parsed!r}")


def b64(data):
    return base64.b64encode(data).decode("ascii")


def to_aws_error(inv, code, status=400):
    return AwsError(code, inv.message, status)
