"""One adapter per wire protocol, all with the same five steps.

  identify(svc, req)        before the signature check: what the request
                            names (Query parameters, X-Amz-Target, the
                            method and path); malformed requests fail here
  operation(svc, req)       after it: the operation model, or the
                            protocol's unknown-action error
  decode(svc, op, req)      the arguments, decoded by the input shape and
                            validated (checks.validate) into AWS's errors
  response(svc, op, data, rid) / error(svc, err, rid)
                            (status, headers, body) in the protocol's form

server.App runs these for whichever service services.route picked, and
parses every answer back with botocore (checks.parse_back) before sending.
"""

import urllib.parse

from . import checks, jsonwire, protocol, restxml
from .protocol import AwsError

REDACT = {"WebIdentityToken", "SAMLAssertion", "Policy", "PolicyDocument",
          "AssumeRolePolicyDocument"}


class Query:
    """EC2's dialect and the plain Query protocol (STS, IAM)."""

    @staticmethod
    def params(req):
        """The flat parameters of a Query request (cached on req)."""
        if req.params is not None:
            return req.params
        try:
            pairs = urllib.parse.parse_qsl(req.query, keep_blank_values=True,
                                           strict_parsing=False)
            ctype = (req.headers.get("Content-Type") or "").lower()
            if req.method == "POST" and req.body:
                if not ctype.startswith("application/x-www-form-urlencoded"):
                    raise AwsError("InvalidParameterValue",
                                   "Unsupported Content-Type for a Query API "
                                   f"request: '{ctype}'", 400)
                pairs += urllib.parse.parse_qsl(req.body.decode("utf-8"),
                                                keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise AwsError("MalformedQueryString",
                           "The query string is malformed", 400) from None
        params = {}
        for k, v in pairs:
            if k in params:
                raise AwsError("InvalidParameterValue",
                               f"The parameter {k} is specified more than once",
                               400)
            params[k] = v
        req.params = params
        return params

    def identify(self, svc, req):
        params = dict(self.params(req))
        req.log_params = {k: ("(redacted)" if k in REDACT else v)
                          for k, v in params.items()
                          if k not in ("Action", "Version")}
        req.action = params.pop("Action", None)
        req.version = params.pop("Version", None)
        req.args_raw = params
        if req.method not in ("GET", "POST"):
            raise AwsError("InvalidAction",
                           f"HTTP method {req.method} is not supported", 400)
        if req.path != "/":
            raise AwsError("InvalidAction",
                           f"Could not find operation for path {req.path}", 400)

    def operation(self, svc, req):
        ec2 = svc.protocol == "ec2"
        if not req.action:
            raise AwsError("MissingAction",
                           "The request must contain the parameter Action", 400)
        if req.action not in svc.model.operation_names:
            raise AwsError("InvalidAction",
                           f"The action {req.action} is not valid for this web "
                           f"service.", 400)
        want = svc.model.metadata["apiVersion"]
        if req.version is None:
            raise AwsError("MissingParameter",
                           "The request must contain the parameter Version", 400)
        if req.version != want:
            raise AwsError("InvalidParameterValue" if ec2 else "InvalidAction",
                           f"Unsupported API version '{req.version}'; this "
                           f"endpoint speaks {want}", 400)
        return svc.model.operation_model(req.action)

    def decode(self, svc, op, req):
        args = protocol.decode_request(svc.name, op, req.args_raw)
        try:
            checks.validate(op.input_shape, args)
        except checks.Invalid as e:
            if svc.protocol != "ec2":
                raise AwsError("ValidationError", e.message) from None
            code = {"missing": "MissingParameter",
                    "unknown": "UnknownParameter"}.get(e.kind, "InvalidParameterValue")
            raise AwsError(code, e.message) from None
        return args

    def response(self, svc, op, data, rid):
        ctype = "text/xml;charset=UTF-8" if svc.protocol == "ec2" else "text/xml"
        return 200, {"Content-Type": ctype}, \
            protocol.encode_response(svc.name, op, data, rid)

    def error(self, svc, err, rid):
        return err.status, {"Content-Type": "text/xml;charset=UTF-8"}, \
            protocol.encode_error(svc.name, err, rid)


class Json:
    """JSON 1.0/1.1: X-Amz-Target names the operation, the body its input."""

    def identify(self, svc, req):
        target = req.headers.get("X-Amz-Target")
        req.action = target.rpartition(".")[2] if target else None
        if req.method != "POST" or req.path != "/":
            raise AwsError("UnknownOperationException", "Unknown operation", 404)
        req.op_name = jsonwire.operation_name(svc.model, target)

    def operation(self, svc, req):
        return svc.model.operation_model(req.op_name)

    def decode(self, svc, op, req):
        try:
            args = jsonwire.decode(op.input_shape, req.body)
        except jsonwire.Malformed as e:
            raise AwsError("SerializationException", str(e), 400) from None
        req.log_params = _loggable(args)
        try:
            checks.validate(op.input_shape, args)
        except checks.Invalid as e:
            if e.kind == "constraint" and svc.constraint_error:
                raise AwsError(svc.constraint_error, e.message, 400) from None
            raise AwsError(svc.validation_error, e.message, 400) from None
        return args

    def response(self, svc, op, data, rid):
        return 200, {"Content-Type": jsonwire.content_type(svc.model)}, \
            jsonwire.encode(op, data)

    def error(self, svc, err, rid):
        return err.status, {"Content-Type": jsonwire.content_type(svc.model)}, \
            jsonwire.encode_error(err)


class RestXml:
    """REST-XML: the method and path name the operation (restxml.py)."""

    def identify(self, svc, req):
        op, labels = restxml.find_operation(svc.model, req.method, req.path,
                                            req.query)
        req.action = op.name
        req.op_name = op.name
        req.labels = labels

    def operation(self, svc, req):
        return svc.model.operation_model(req.op_name)

    def decode(self, svc, op, req):
        try:
            args = restxml.decode(op, req.labels, req.query, req.headers, req.body)
        except restxml.Malformed as e:
            raise AwsError(svc.validation_error, str(e), 400) from None
        req.log_params = _loggable(args)
        try:
            checks.validate(op.input_shape, args)
        except checks.Invalid as e:
            raise AwsError(svc.validation_error, e.message, 400) from None
        return args

    def response(self, svc, op, data, rid):
        status, headers, body = restxml.encode(svc.model, op, data)
        headers["Content-Type"] = "text/xml"
        return status, headers, body

    def error(self, svc, err, rid):
        return err.status, {"Content-Type": "text/xml"}, \
            restxml.encode_error(svc.model, err, rid)


def _loggable(args):
    return {k: ("(redacted)" if k in REDACT else v) for k, v in args.items()}


CODECS = {"ec2": Query(), "query": Query(), "json": Json(), "rest-xml": RestXml()}
