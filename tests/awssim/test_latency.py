"""The simulator's request latency floor: trivial calls, one after another.

Each request is signed by botocore beforehand; the clock runs from sending
it on a kept-alive connection to having read the response, so the figure is
the simulator's own cost (routing, signature check, validation, handler,
serialization and the parse-back) plus loopback.
"""

import http.client
import os
import statistics
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from simclient import KEY, SECRET, SimTest

CALLS = int(os.environ.get("AWSSIM_LATENCY_CALLS", "1000"))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class LatencyTest(SimTest):
    SIM_ARGS = ("--route53-sync-seconds", "0")

    def measure(self, make):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=30)
        times = []
        try:
            for _ in range(CALLS):
                method, path, body, headers = make()
                t0 = time.perf_counter()
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                times.append((time.perf_counter() - t0) * 1000.0)
                self.assertEqual(r.status, 200, data)
        finally:
            conn.close()
        return times

    def signed(self, method, path, service, body=b"", headers=None):
        req = AWSRequest(method=method, url=self.sim.endpoint + path, data=body,
                         headers=headers or {})
        SigV4Auth(Credentials(KEY, SECRET), service, "us-east-1").add_auth(req)
        p = req.prepare()
        return p.method, path, p.body, dict(p.headers)

    def test_latency_floor(self):
        def sts():
            return self.signed("POST", "/", "sts",
                               b"Action=GetCallerIdentity&Version=2011-06-15",
                               {"Content-Type": "application/x-www-form-urlencoded"})
        cid = self.sim.client("route53").create_hosted_zone(
            Name="lat.example.com", CallerReference="lat")["ChangeInfo"]["Id"].split("/")[-1]

        def r53():
            return self.signed("GET", f"/2013-04-01/change/{cid}", "route53")
        lines = []
        for name, make in (("sts GetCallerIdentity", sts), ("route53 GetChange", r53)):
            t = self.measure(make)
            lines.append(f"{name}: p50 {statistics.median(t):.2f} ms, p99 "
                         f"{pct(t, 99):.2f} ms over {len(t)} sequential calls")
            # loose: the machine is shared; a floor this high means a regression
            self.assertLess(statistics.median(t), 20.0, lines[-1])
        print("\n  awssim latency floor: " + "; ".join(lines) +
              f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
