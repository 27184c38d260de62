"""The service table, and how a request finds its service.

Every service answers on the one port, routed the way a client addresses
AWS: JSON services by `X-Amz-Target`'s prefix, REST services by the
credential scope's service name (or, unsigned, by their path), Query
services by the scope's service when it has the Action (EC2 and ELBv2 both
have DescribeTags), else by the Action alone (an unsigned STS call, or a
scope naming the wrong service, which the signature check then refuses as
the Action's service would), and what is left by the scope's service. Each entry says what the service
answers for throttling, internal faults and invalid input, since those
differ per service on AWS.
"""

from . import protocol
from .codecs import CODECS


class Service:
    """One row of the table. protocol, signing and target_prefix are given
    here so routing needs no model; they are checked against the model when
    it is loaded (on the service's first request, or by the tests)."""

    def __init__(self, name, handler, throttle, internal, protocol, signing=None,
                 target_prefix=None, rest_prefix=None, validation_error=None,
                 constraint_error=None, unsigned=()):
        self.name = name
        self.handler = handler
        self.protocol = protocol
        self.codec = CODECS[protocol]
        self.signing = signing or name
        self.target_prefix = target_prefix
        self.rest_prefix = rest_prefix
        self.throttle = throttle          # (code, status)
        self.internal = internal          # (code, status)
        self.validation_error = validation_error
        self.constraint_error = constraint_error
        self.unsigned = set(unsigned)
        self.unsupported = {"ec2": "UnsupportedOperation", "query": "InvalidAction"}.get(
            protocol, "UnknownOperationException")
        self._model = None

    @property
    def model(self):
        if self._model is None:
            m = protocol.model(self.name)
            md = m.metadata
            have = (md["protocol"], md.get("signingName", md["endpointPrefix"]),
                    md.get("targetPrefix"))
            want = (self.protocol, self.signing, self.target_prefix)
            if have != want:
                raise AssertionError(f"{self.name}: the table says {want}, "
                                     f"botocore's model {have}")
            if self.rest_prefix is not None:
                for n in m.operation_names:
                    uri = m.operation_model(n).http["requestUri"]
                    if not uri.startswith(self.rest_prefix):
                        raise AssertionError(f"{self.name}.{n}: {uri} is not under "
                                             f"{self.rest_prefix}")
            self._model = m
        return self._model

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
            # the scope's service first: ELBv2 and EC2 both have DescribeTags
            if scoped is not None and scoped.protocol in ("ec2", "query") and \
                    action in scoped.model.operation_names:
                return scoped
            for svc in self.query:
                if action in svc.model.operation_names:
                    return svc
            if scoped is not None and scoped.protocol in ("ec2", "query"):
                return scoped
        if scoped is not None:
            return scoped
        return self.default
