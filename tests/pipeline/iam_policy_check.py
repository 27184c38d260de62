#!/usr/bin/python3
"""Checks `craftctl iam-policy` against the code (make test-pipeline).

    iam_policy_check.py [--bin build/craftctl] [--repo .] [--extra-source FILE...]

- the output is a valid IAM policy document: JSON, Version 2012-10-17,
  Allow statements on explicit actions (no wildcards, no duplicates), each
  action a real operation of its service in botocore's service model, the
  read-only statement holding only Describe/Get/List actions;
- --region adds an aws:RequestedRegion condition to every statement, and
  --json prints the same document on one line;
- every AWS action the code can call is allowed: each string literal in
  lib/ and cli/ (lib/aws/actions.c and the generated lib/aws/models/ aside) that is an operation name of a
  service craftctl speaks counts as a call, wherever it is passed (to
  craft_aws_submit / craft_aws_call / craft_aws_paginate or a wrapper);
- and nothing more: every allowed action is called somewhere.
Prints ok/FAIL lines; exits 1 when anything failed.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

import botocore.session

SERVICES = ("ec2", "sts")
# Calls that need no permission in the role's policy, and the only files
# allowed to make them.
NO_POLICY = {
    "sts:AssumeRoleWithWebIdentity": ("lib/aws/credentials.c",
                                      "authorized by the role's trust policy"),
    "sts:AssumeRole": ("lib/aws/credentials.c",
                       "a role profile's source identity needs it, not the role the policy is for"),
}
LITERAL = re.compile(r'"([A-Z][A-Za-z0-9]+)"')


class Report:
    def __init__(self):
        self.ok_count = 0
        self.fail_count = 0

    def check(self, cond, text, why=""):
        if cond:
            self.ok_count += 1
            print(f"ok   iam-policy: {text}")
        else:
            self.fail_count += 1
            print(f"FAIL iam-policy: {text}{': ' + why if why else ''}")
        return cond


def operations():
    session = botocore.session.get_session()
    return {svc: set(session.get_service_model(svc).operation_names) for svc in SERVICES}


def run(binary, *args):
    res = subprocess.run([binary, *args], capture_output=True, text=True,
                         env=dict(os.environ, GITHUB_ACTIONS="false"))
    return res.returncode, res.stdout, res.stderr


def policy_actions(doc):
    acts = []
    for st in doc.get("Statement", []):
        a = st.get("Action", [])
        acts += [a] if isinstance(a, str) else list(a)
    return acts


def scan_sources(repo, ops, extra):
    """{'svc:Op': ['file:line', ...]} for every operation-name literal."""
    files = sorted(glob.glob(os.path.join(repo, "lib/**/*.c"), recursive=True)
                   + glob.glob(os.path.join(repo, "cli/*.c"))) + list(extra)
    found = {}
    for path in files:
        rel = os.path.relpath(path, repo)
        if rel == "lib/aws/actions.c":
            continue
        # The generated service models name every operation of a service
        # as data (what its input looks like), not as a call the code makes.
        if rel.startswith("lib/aws/models/"):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                for m in LITERAL.finditer(line):
                    for svc in SERVICES:
                        if m.group(1) in ops[svc]:
                            found.setdefault(f"{svc}:{m.group(1)}", []).append(f"{rel}:{n}")
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/craftctl")
    ap.add_argument("--repo", default=".")
    ap.add_argument("--extra-source", action="append", default=[],
                    help="another C file to scan (the self-test)")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    binary = args.bin if os.path.isabs(args.bin) else os.path.join(repo, args.bin)
    rep = Report()
    ops = operations()

    rc, out, err = run(binary, "iam-policy")
    if not rep.check(rc == 0, "`craftctl iam-policy` exits 0", f"exit {rc}: {err.strip()}"):
        return 1
    try:
        doc = json.loads(out)
    except ValueError as e:
        rep.check(False, "the output is JSON", str(e))
        return 1
    rep.check(True, "the output is JSON")
    rep.check(doc.get("Version") == "2012-10-17", "Version is 2012-10-17")
    stmts = doc.get("Statement")
    rep.check(isinstance(stmts, list) and stmts, "has statements")
    stmts = stmts if isinstance(stmts, list) else []
    rep.check(all(st.get("Effect") == "Allow" and st.get("Resource") == "*"
                  and isinstance(st.get("Action"), list) and st.get("Sid") for st in stmts),
              "every statement is an Allow with a Sid and an Action list")
    acts = policy_actions(doc)
    rep.check(len(acts) == len(set(acts)), "no action is listed twice",
              str(sorted(a for a in set(acts) if acts.count(a) > 1)))
    wild = [a for a in acts if "*" in a or "?" in a]
    rep.check(not wild, "no wildcard actions", str(wild))
    unknown = [a for a in acts
               if ":" not in a or a.split(":", 1)[0] not in ops or a.split(":", 1)[1] not in ops[a.split(":", 1)[0]]]
    rep.check(not unknown, f"all {len(acts)} actions are real operations in botocore's models",
              str(unknown))
    for st in stmts:
        names = [a.split(":", 1)[-1] for a in st.get("Action", [])]
        reads = [n for n in names if re.match(r"(Describe|Get|List)", n)]
        if st.get("Sid") == "CraftctlRead":
            rep.check(reads == names, "the CraftctlRead statement is read-only",
                      str(sorted(set(names) - set(reads))))
        else:
            rep.check(not reads, f"the {st.get('Sid')} statement holds no read-only action",
                      str(reads))
        rep.check(names == sorted(names), f"the {st.get('Sid')} statement's actions are sorted")

    rc, out2, err2 = run(binary, "--region", "eu-west-3", "iam-policy")
    try:
        regional = json.loads(out2) if rc == 0 else {}
    except ValueError:
        regional = {}
    rep.check(regional.get("Statement") and all(
        st.get("Condition") == {"StringEquals": {"aws:RequestedRegion": "eu-west-3"}}
        for st in regional["Statement"]) and policy_actions(regional) == acts,
        "--region adds aws:RequestedRegion to every statement, same actions", err2.strip())
    rc, out3, _ = run(binary, "--json", "iam-policy")
    rep.check(rc == 0 and out3.count("\n") == 1 and json.loads(out3) == doc,
              "--json prints the same document on one line")
    rc, _, err4 = run(binary, "--region", "not a region", "iam-policy")
    rep.check(rc == 2 and "region" in err4, "a bad --region is a usage error (exit 2)")

    calls = scan_sources(repo, ops, [os.path.abspath(f) for f in args.extra_source])
    rep.check(len(calls) > 0, f"the sources name {len(calls)} AWS actions",
              "none found: the scan is broken")
    allowed = set(acts)
    for action in sorted(calls):
        where = ", ".join(calls[action][:3]) + (" ..." if len(calls[action]) > 3 else "")
        if action in NO_POLICY:
            home, why = NO_POLICY[action]
            rep.check(all(w.startswith(home + ":") for w in calls[action]) and action not in allowed,
                      f"{action} ({where}) needs no permission: {why}",
                      f"called outside {home} or listed in the policy")
            continue
        rep.check(action in allowed, f"{action} ({where}) is allowed",
                  "the code calls it but the policy does not allow it: add a row to "
                  "craft_aws_actions[] in lib/aws/actions.c")
    for action in sorted(allowed - set(calls)):
        rep.check(False, f"{action} is allowed",
                  "but no code calls it: remove its row from lib/aws/actions.c (least privilege)")
    print(f"iam_policy_check: {rep.ok_count} ok, {rep.fail_count} failed")
    return 1 if rep.fail_count else 0


if __name__ == "__main__":
    sys.exit(main())
