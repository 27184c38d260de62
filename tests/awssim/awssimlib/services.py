"""The service table, and how a request finds its service.

Every service answers on the one port, routed the way a client addresses
AWS: JSON services by `X-Amz-Target`'s prefix, REST services by the
credential scope's service name (or, unsigned, by their path), Query
services by Action (EC2, STS and IAM have no action names in common), and
what is left by the scope's service. Each entry says what the service
answers for throttling, internal faults and invalid input, since those
differ per service on AWS.
"""

from . import protocol
from .codecs import CODECS


class Service:
    def __init__(self, name, handler, throttle, internal, validation_error=None,
                 constraint_error=None, unsigned=(), global_state=False):
        self.name = name
        self.handler = handler
        self.model = protocol.model(name)
        md = self.model.metadata
        self.protocol = md["protocol"]
        self.codec = CODECS[self.protocol]
        self.signing = md.get("signingName", md["endpointPrefix"])
        self.target_prefix = md.get("targetPrefix")
        self.throttle = throttle          # (code, status)
        self.internal = internal          # (code, status)
        self.validation_error = validation_error
        self.constraint_error = constraint_error
        self.unsigned = set(unsigned)
        self.global_state = global_state
        self.unsupported = {"ec2": "UnsupportedOperation", "query": "InvalidAction"}.get(
            self.protocol, "UnknownOperationException")
        self.rest_prefix = None
        if self.protocol.startswith("rest-"):
            uris = [self.model.operation_model(n).http["requestUri"]
                    for n in self.model.operation_names]
            self.rest_prefix = "/" + uris[0].lstrip("/").split("/", 1)[0] + "/"

    def auth_code(self, code, status):
        """The signature errors are worded per protocol family."""
        if self.protocol == "json":
            return JSON_AUTH_CODES.get(code, (code, status))
        return code, status

    def __repr__(self):
        return f"<Service {self.name}>"


JSON_AUTH_CODES = {
    "SignatureDoesNotMatch": ("InvalidSignatureException", 400),
    "InvalidClientTokenId": ("UnrecognizedClientException", 400),
    "MissingAuthenticationToken": ("MissingAuthenticationTokenException", 403),
    "IncompleteSignature": ("IncompleteSignatureException", 400),
    "ExpiredToken": ("ExpiredTokenException", 400),
}


class Table:
    def __init__(self, services):
        self.services = {s.name: s for s in services}
        self.by_signing = {s.signing: s for s in services}
        self.by_target = {s.target_prefix: s for s in services if s.target_prefix}
        self.query = [s for s in services if s.protocol in ("ec2", "query")]
        self.default = self.services["ec2"]

    def __getitem__(self, name):
        return self.services[name]

    def __iter__(self):
        return iter(self.services.values())

    def route(self, req, scope):
        """The Service a request is for (it may still be refused there)."""
        target = req.headers.get("X-Amz-Target")
        if target:
            svc = self.by_target.get(target.rpartition(".")[0])
            if svc is not None:
                return svc
        scoped = self.by_signing.get(scope[3]) if scope else None
        if scoped is not None and scoped.protocol in ("json", "rest-xml", "rest-json"):
            return scoped
        if scope is None:
            for svc in self.services.values():
                if svc.rest_prefix and req.path.startswith(svc.rest_prefix):
                    return svc
        if req.path == "/" and not target:
            try:
                action = CODECS["query"].params(req).get("Action")
            except protocol.AwsError:
                action = None
            for svc in self.query:
                if action in svc.model.operation_names:
                    return svc
            if scoped is not None and scoped.protocol in ("ec2", "query"):
                return scoped
        if scoped is not None:
            return scoped
        return self.default
