"""What the services beside EC2 share: the clock, consistency, paging.

Each service object (iam.Iam, route53.Route53, ecr.Ecr) keeps its state in
plain dicts under the simulator's one lock (the server holds it around every
handler), is emptied by /_awssim/reset and dumped by /_awssim/state/<name>.
A new resource gets `_visible_at` from the EC2 core's seeded delay draw, so
`--consistency-delay-ms` makes it unknown to reads (and, with
`--consistency-mutations`, to every call naming it) for a while, as AWS's
eventually consistent control planes answer.
"""

import time

from .protocol import AwsError


def now():
    return time.time()


class ServiceState:
    """Base of a non-EC2 service: shares the EC2 core's options, lock and rng."""

    def __init__(self, sim):
        self.sim = sim
        self.opts = sim.opts
        self.account = sim.account
        self.reset()

    def reset(self):
        raise NotImplementedError

    def new_resource(self, res):
        res["_visible_at"] = self.sim.visible_at()
        res["_created"] = now()
        return res

    def fresh(self, res, reading):
        """True while `res` is still invisible to this kind of call."""
        if res.get("_visible_at", 0) <= now():
            return False
        return reading or self.opts.consistency_mutations

    def rand_id(self, prefix, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"):
        rng = self.sim.id_rng
        return prefix + "".join(rng.choice(alphabet) for _ in range(n))


def page(items, marker, max_items, default_max=100):
    """IAM/Route 53 style paging: (items on this page, next marker or None).
    The marker is the index of the next item, opaque to clients."""
    start = 0
    if marker:
        if not marker.isdigit() or int(marker) > len(items):
            raise AwsError("InvalidInput", "Invalid pagination marker.", 400)
        start = int(marker)
    n = default_max if max_items is None else int(max_items)
    if n < 1:
        raise AwsError("InvalidInput", "MaxItems must be at least 1.", 400)
    end = start + n
    return items[start:end], (str(end) if end < len(items) else None)
