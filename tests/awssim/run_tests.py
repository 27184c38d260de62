#!/usr/bin/python3
"""Runs the simulator's own tests (tests/awssim/test_*.py).

Prints one line per test, then `N passed, N failed` and the number of AWS
responses that botocore parsed; exits non-zero on any failure.
Usage: run_tests.py [-j JOBS] [-k SUBSTRING] [module ...]
Modules run in parallel processes (-j, default 3); each test class starts
its own simulators on free ports, so they do not interfere.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class Result(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.stream.write(f"ok    {test.id()} ({time.monotonic() - self._t0:.1f}s)\n")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.stream.write(f"FAIL  {test.id()}\n")

    def addError(self, test, err):
        super().addError(test, err)
        self.stream.write(f"ERROR {test.id()}\n")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.stream.write(f"skip  {test.id()}: {reason}\n")


def run_inline(names, pattern):
    loader = unittest.TestLoader()
    if pattern:
        loader.testNamePatterns = [f"*{pattern}*"]
    suite = unittest.TestSuite()
    for n in names:
        suite.addTests(loader.loadTestsFromName(n))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0,
                                     resultclass=Result)
    result = runner.run(suite)
    import simclient
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    return passed, failed, simclient.RESPONSES_PARSED[0]


def run_parallel(names, pattern, jobs):
    """One process per test module, `jobs` at a time; output kept whole."""
    pending = list(names)
    running = []
    totals = [0, 0, 0]
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            cmd = [sys.executable, os.path.abspath(__file__), "-j", "1", name]
            if pattern:
                cmd[3:3] = ["-k", pattern]
            out = tempfile.TemporaryFile()
            running.append((name, subprocess.Popen(cmd, stdout=out,
                                                   stderr=subprocess.STDOUT), out))
        time.sleep(0.1)
        for item in list(running):
            name, proc, out = item
            if proc.poll() is None:
                continue
            running.remove(item)
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
            out.close()
            sys.stdout.write(text)
            m = re.search(r"^(\d+) passed, (\d+) failed$", text, re.M)
            r = re.search(r"^awssim: (\d+) AWS responses parsed", text, re.M)
            if m is None:
                print(f"ERROR {name}: no result line (exit {proc.returncode})")
                totals[1] += 1
                continue
            totals[0] += int(m.group(1))
            totals[1] += int(m.group(2))
            totals[2] += int(r.group(1)) if r else 0
            if proc.returncode != 0 and int(m.group(2)) == 0:
                totals[1] += 1
        sys.stdout.flush()
    return tuple(totals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None, help="only tests whose id contains this")
    # Three lanes on two cores: the modules mostly wait (for instances to
    # boot, states to change, the aws CLI's waiters), so more lanes finish
    # sooner; the longest module (test_clients' CLI run) bounds the total.
    ap.add_argument("-j", type=int, default=3,
                    help="test modules run in parallel (each has its own simulators)")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    names = args.modules or sorted(
        os.path.splitext(os.path.basename(p))[0]
        for p in glob.glob(os.path.join(HERE, "test_*.py")))
    t0 = time.monotonic()
    if args.j > 1 and len(names) > 1:
        # the slowest modules first, so the lanes end together
        names.sort(key=lambda n: (n not in ("test_clients", "test_ssh", "test_cli_services"), n))
        passed, failed, parsed = run_parallel(names, args.k, args.j)
    else:
        passed, failed, parsed = run_inline(names, args.k)
    print(f"awssim: {parsed} AWS responses parsed by botocore in "
          f"{time.monotonic() - t0:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
