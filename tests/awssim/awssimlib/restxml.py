"""The REST-XML protocol (Route 53), driven by the operation's http trait.

A request is matched by method and the requestUri template (`{Label}`,
greedy `{Label+}`, literal query keys after `?`); its members come from the
URI labels, the query string, headers and an XML body whose root is the
input shape's serialization name (or the payload member). A response puts
`header` members in headers, `statusCode` in the status, the rest in an XML
document rooted at the output shape's name in the service's namespace; an
error is `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
"""

import base64
import binascii
import datetime
import re
import urllib.parse
import xml.etree.ElementTree as ET
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape

from .protocol import AwsError, _Encoder, fmt_time, parse_timestamp


class Malformed(Exception):
    pass


_ROUTES = {}


def _routes(service_model):
    """(method, path regex, labels, literal query keys, op) per operation,
    most literal path first so `/hostedzone/{Id}/rrset` beats `/hostedzone/{Id}`."""
    key = id(service_model)
    if key in _ROUTES:
        return _ROUTES[key]
    out = []
    for name in service_model.operation_names:
        op = service_model.operation_model(name)
        uri = op.http["requestUri"]
        path, _, q = uri.partition("?")
        labels = []
        rx = ""
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                label = part[1:-1]
                greedy = label.endswith("+")
                labels.append(label.rstrip("+"))
                rx += "(.+)" if greedy else "([^/]+)"
            else:
                rx += re.escape(part)
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        qkeys = [kv.partition("=") for kv in q.split("&") if kv]
        out.append((op.http["method"], re.compile(rx + "/?"), labels, qkeys, op,
                    literal))
    out.sort(key=lambda r: -r[5])
    _ROUTES[key] = out
    return out


def find_operation(service_model, method, path, query):
    """The operation for this method and path, and its URI labels."""
    qs = urllib.parse.parse_qs(query, keep_blank_values=True)
    path_matched = False
    for m, rx, labels, qkeys, op, _ in _routes(service_model):
        hit = rx.fullmatch(path)
        if not hit:
            continue
        if any(k not in qs or (sep and qs[k] != [v]) for k, sep, v in qkeys):
            continue
        path_matched = True
        if m != method:
            continue
        vals = {lb: urllib.parse.unquote(g) for lb, g in zip(labels, hit.groups())}
        return op, vals
    if path_matched:
        raise AwsError("MethodNotAllowed",
                       f"The {method} method is not allowed on {path}", 405)
    raise AwsError("UnknownOperationException",
                   f"No operation matches {method} {path}", 404)


def _scalar(shape, text, where):
    t = shape.type_name
    try:
        if t in ("integer", "long"):
            return int(text, 10)
        if t in ("float", "double"):
            return float(text)
        if t == "boolean":
            if text not in ("true", "false"):
                raise ValueError(text)
            return text == "true"
        if t == "timestamp":
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return datetime.datetime.fromtimestamp(float(text),
                                                       datetime.timezone.utc)
            if "," in text:
                return parsedate_to_datetime(text)
            return parse_timestamp(text)
        if t == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, TypeError, binascii.Error, OverflowError):
        raise Malformed(f"Invalid value '{text}' for {where}") from None
    return text


def decode(op_model, labels, query, headers, body):
    """Every input member from where its location trait says it travels."""
    shape = op_model.input_shape
    if shape is None:
        return {}
    qs = urllib.parse.parse_qs(query, keep_blank_values=True)
    out = {}
    body_members = {}
    for name, m in shape.members.items():
        loc = m.serialization.get("location")
        wire = m.serialization.get("name", name)
        if loc == "uri":
            if wire in labels:
                out[name] = _scalar(m, labels[wire], name)
        elif loc == "querystring":
            if m.type_name == "map":
                out[name] = {k: v[0] for k, v in qs.items()}
            elif wire in qs:
                if m.type_name == "list":
                    out[name] = [_scalar(m.member, v, name) for v in qs[wire]]
                else:
                    out[name] = _scalar(m, qs[wire][-1], name)
        elif loc == "header":
            v = headers.get(wire)
            if v is not None:
                out[name] = _scalar(m, v, name)
        elif loc == "headers":
            pre = wire.lower()
            got = {k[len(pre):]: v for k, v in headers.items()
                   if k.lower().startswith(pre)}
            if got:
                out[name] = got
        else:
            body_members[name] = m
    payload = shape.serialization.get("payload")
    if not body.strip():
        return out
    if payload:
        m = shape.members[payload]
        if m.type_name in ("blob", "string"):
            out[payload] = body if m.type_name == "blob" else body.decode("utf-8")
            return out
        root = _parse(body)
        out[payload] = _xml_value(m, root, payload)
        return out
    root = _parse(body)
    want = shape.serialization.get("name", shape.name)
    if _local(root.tag) != want:
        raise Malformed(f"The XML document's root must be {want}, not "
                        f"{_local(root.tag)}")
    out.update(_xml_struct(shape, root, "", body_members))
    return out


def _parse(body):
    try:
        return ET.fromstring(body)
    except ET.ParseError as e:
        raise Malformed(f"The XML you provided was not well-formed: {e}") from None


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _xml_struct(shape, node, path, members=None):
    members = shape.members if members is None else members
    by_wire = {}
    for name, m in members.items():
        by_wire[m.serialization.get("name", name)] = (name, m)
    out = {}
    for name, m in members.items():
        if m.serialization.get("xmlAttribute"):
            v = node.get(m.serialization["name"])
            if v is not None:
                out[name] = _scalar(m, v, name)
    for child in node:
        tag = _local(child.tag)
        if tag not in by_wire:
            # kept under its wire name: the validator names it as unknown
            out[tag] = child.text or ""
            continue
        name, m = by_wire[tag]
        where = f"{path}.{name}" if path else name
        if m.type_name == "list" and m.serialization.get("flattened"):
            out.setdefault(name, []).append(_xml_value(m.member, child, where))
        else:
            if name in out:
                raise Malformed(f"{where} is given more than once")
            out[name] = _xml_value(m, child, where)
    return out


def _xml_value(shape, node, path):
    t = shape.type_name
    if t == "structure":
        return _xml_struct(shape, node, path)
    if t == "list":
        item = shape.member.serialization.get("name", "member")
        out = []
        for c in node:
            if _local(c.tag) != item:
                raise Malformed(f"Unexpected element {_local(c.tag)} in {path}")
            out.append(_xml_value(shape.member, c, path))
        return out
    if t == "map":
        out = {}
        for e in node:
            k = e.find("key")
            v = e.find("value")
            if k is None or v is None:
                raise Malformed(f"Map entry without key and value in {path}")
            out[k.text or ""] = _xml_value(shape.value, v, path)
        return out
    return _scalar(shape, node.text or "", path)


def namespace(service_model):
    """The service's XML namespace: Route 53's model names it only on the
    input shapes (every one the same)."""
    ns = service_model.metadata.get("xmlNamespace")
    if ns is None:
        for name in service_model.operation_names:
            shape = service_model.operation_model(name).input_shape
            if shape is not None and "xmlNamespace" in shape.serialization:
                ns = shape.serialization["xmlNamespace"]
                break
    return (ns["uri"] if isinstance(ns, dict) else ns) or ""


def encode(service_model, op_model, data):
    """(status, headers, body) of a successful response."""
    shape = op_model.output_shape
    status = op_model.http.get("responseCode", 200)
    headers = {}
    if shape is None:
        return status, headers, b""
    data = dict(data or {})
    for name, m in shape.members.items():
        loc = m.serialization.get("location")
        if loc is None or name not in data:
            continue
        v = data.pop(name)
        if v is None:
            continue
        if loc == "header":
            headers[m.serialization.get("name", name)] = _header(m, v)
        elif loc == "headers":
            for k, x in v.items():
                headers[m.serialization.get("name", "") + k] = x
        elif loc == "statusCode":
            status = int(v)
    payload = shape.serialization.get("payload")
    enc = _Encoder("rest-xml")
    ns = namespace(service_model)
    if payload:
        v = data.pop(payload, None)
        if data:
            raise KeyError(f"{op_model.name}: members outside the payload: {sorted(data)}")
        if v is None:
            return status, headers, b""
        m = shape.members[payload]
        if m.type_name in ("blob", "string"):
            return status, headers, v if isinstance(v, bytes) else v.encode()
        root = m.serialization.get("name", payload)
        enc.out.append(f'<{root} xmlns="{ns}">')
        enc.struct_body(m, v, op_model.name)
        enc.out.append(f"</{root}>")
    else:
        root = shape.serialization.get("name", shape.name)
        enc.out.append(f'<{root} xmlns="{ns}">')
        enc.struct_body(shape, data, op_model.name)
        enc.out.append(f"</{root}>")
    body = '<?xml version="1.0"?>\n' + "".join(enc.out)
    return status, headers, body.encode("utf-8")


def _header(shape, v):
    if shape.type_name == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "rfc822")
        if fmt == "iso8601":
            return fmt_time(v)
        return format_datetime(v.astimezone(datetime.timezone.utc), usegmt=True)
    if shape.type_name == "boolean":
        return "true" if v else "false"
    return str(v)


def encode_error(service_model, err, rid):
    ns = namespace(service_model)
    kind = "Sender" if err.sender else "Receiver"
    return (f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{ns}"><Error>'
            f"<Type>{kind}</Type><Code>{escape(err.code)}</Code>"
            f"<Message>{escape(err.message)}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>").encode("utf-8")
