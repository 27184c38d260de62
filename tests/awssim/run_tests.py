#!/usr/bin/python3
"""Runs the simulator's own tests (tests/awssim/test_*.py).

Prints one line per test, then `N passed, N failed` and the number of AWS
responses that botocore parsed; exits non-zero on any failure.
Usage: run_tests.py [-k SUBSTRING] [module ...]
"""

import argparse
import glob
import os
import sys
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None)
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    names = args.modules or sorted(
        os.path.splitext(os.path.basename(p))[0]
        for p in glob.glob(os.path.join(HERE, "test_*.py")))
    loader = unittest.TestLoader()
    if args.k:
        loader.testNamePatterns = [f"*{args.k}*"]
    suite = unittest.TestSuite()
    for n in names:
        suite.addTests(loader.loadTestsFromName(n))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0,
                                     resultclass=Result)
    t0 = time.monotonic()
    result = runner.run(suite)
    import simclient
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"awssim: {simclient.RESPONSES_PARSED[0]} AWS responses parsed by "
          f"botocore in {time.monotonic() - t0:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
