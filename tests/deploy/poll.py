#!/usr/bin/python3
"""Polls a URL every 50 ms until a stop file appears; prints one JSON line:
requests, failures (connection errors or non-2xx), the longest run of
consecutive failures in ms, and the release ids seen in order.

When the stop file names a release, polling goes on until that release has
been seen (at most 10 s more), so a slow machine cannot stop the poller
before it got the page the caller already saw.

usage: poll.py URL STOPFILE [INTERVAL_MS]
"""
import json
import os
import re
import sys
import time
import urllib.request


def main():
    url, stop = sys.argv[1], sys.argv[2]
    interval = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000.0
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    total = failed = 0
    outage_start = None
    longest = 0.0
    releases = []
    stop_by = None
    while True:
        if stop_by is None and os.path.exists(stop):
            with open(stop) as f:
                awaited = f.read().strip()
            stop_by = time.monotonic() + 10
        if stop_by is not None and (not awaited or awaited in releases or time.monotonic() > stop_by):
            break
        t0 = time.monotonic()
        ok = False
        try:
            with opener.open(url, timeout=1) as r:
                body = r.read().decode("utf-8", "replace")
                ok = 200 <= r.status < 300
                m = re.search(r'id="release">([^<]*)<', body)
                if m and (not releases or releases[-1] != m.group(1)):
                    releases.append(m.group(1))
        except Exception:  # noqa: BLE001 - any failure counts
            ok = False
        total += 1
        now = time.monotonic()
        if ok:
            if outage_start is not None:
                longest = max(longest, now - outage_start)
                outage_start = None
        else:
            failed += 1
            if outage_start is None:
                outage_start = t0
        time.sleep(max(0.0, interval - (time.monotonic() - t0)))
    if outage_start is not None:
        longest = max(longest, time.monotonic() - outage_start)
    print(json.dumps({"requests": total, "failed": failed,
                      "longest_outage_ms": int(longest * 1000),
                      "releases": releases}))


if __name__ == "__main__":
    main()
