#!/usr/bin/python3
"""Runs one job of a workflow file on this machine, as a GitHub runner would.

    run_workflow.py WORKFLOW JOB --workdir DIR [--input K=V] [--secret K=V]
                    [--var K=V] [--env K=V] [--emulate-aws K=V]

Not a GitHub runner: a small, strict stand-in to prove that the steps run
as written. It evaluates the ${{ }} expressions the workflows use (contexts
inputs, secrets, vars, steps, job, github, env, runner; `||`, `&&`, `!`,
`==`, `!=`, always(), success(), failure(), cancelled()) and stops with an
error on anything else; runs each run: step with `bash -e -o pipefail` in
the workspace with GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY,
RUNNER_TEMP and the step's env; honours if:, id: and step outputs and
outcomes. Two actions are stood in for: actions/checkout (the workspace is
the tree in --workdir, already there) and
aws-actions/configure-aws-credentials (checks that role-to-assume and
aws-region evaluate to non-empty values, then exports the --emulate-aws
variables, e.g. a web identity token file and the simulator's endpoint).
Any other action is an error.

Prints one line per step ("step N name: success|failure|skipped") and a
JSON line {"job": ..., "steps": {id_or_index: outcome}, "status": ...};
exits 0 when the job succeeded, 1 when it failed, 2 on a usage error or an
unsupported construct.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_workflows import load  # noqa: E402  (same YAML rules as the checks)


class Unsupported(Exception):
    pass


class Ctx(dict):
    """A context object: missing keys are '' (as on GitHub), dots nest."""

    def __getattr__(self, name):
        v = self.get(name.replace("__dash__", "-"), "")
        return Ctx(v) if isinstance(v, dict) else v


TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')|
    (?P<num>\d+(?:\.\d+)?)|
    (?P<op>\|\||&&|==|!=|!|\(|\))|
    (?P<call>(?:always|success|failure|cancelled)\(\s*\))|
    (?P<bool>true|false|null)\b|
    (?P<ref>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)
)""", re.X)


def to_python(expr):
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot evaluate '{expr}' at '{expr[pos:]}'")
        pos = m.end()
        if m.group("str") is not None:
            out.append(repr(m.group("str")[1:-1].replace("''", "'")))
        elif m.group("num") is not None:
            out.append(m.group("num"))
        elif m.group("op") is not None:
            out.append({"||": " or ", "&&": " and ", "!": " not ", "==": "==",
                        "!=": "!="}.get(m.group("op"), m.group("op")))
        elif m.group("call") is not None:
            out.append("_" + m.group("call").split("(")[0] + "()")
        elif m.group("bool") is not None:
            out.append({"true": "True", "false": "False", "null": "''"}[m.group("bool")])
        else:
            parts = m.group("ref").split(".")
            if parts[0] not in ("inputs", "secrets", "vars", "steps", "job", "github",
                                "env", "runner"):
                raise Unsupported(f"unknown context '{parts[0]}' in '{expr}'")
            out.append(".".join(p.replace("-", "__dash__") for p in parts))
    return "".join(out)


class Runner:
    def __init__(self, args):
        self.args = args
        self.workflow_path = os.path.abspath(args.workflow)
        _, self.doc = load(self.workflow_path)
        jobs = self.doc.get("jobs") or {}
        if args.job not in jobs:
            raise Unsupported(f"no job '{args.job}' in {args.workflow}")
        self.job = jobs[args.job]
        self.work = os.path.abspath(args.workdir)
        self.temp = tempfile.mkdtemp(prefix="runner-temp.", dir=os.environ.get("TMPDIR", "/tmp"))
        self.files = {k: os.path.join(self.temp, f"_{k}") for k in ("output", "env", "summary")}
        open(self.files["summary"], "w").close()
        self.steps = {}
        self.failed = False
        self.env = {}
        self.inputs = dict(kv.split("=", 1) for kv in args.input)
        dispatch = ((self.doc.get("on") or {}).get("workflow_dispatch") or {})
        for name, spec in (dispatch.get("inputs") or {}).items():
            if name not in self.inputs and isinstance(spec, dict) and "default" in spec:
                self.inputs[name] = str(spec["default"])
            if isinstance(spec, dict) and spec.get("required") and not self.inputs.get(name):
                raise Unsupported(f"required input '{name}' not given")
        self.github = {"sha": "0" * 40, "run_id": "4242", "repository": "acme/shop",
                       "server_url": "https://github.com", "workflow": self.doc.get("name", ""),
                       "ref": "refs/heads/main", "event_name": "workflow_dispatch"}

    def context(self, extra_env):
        env = dict(self.env, **extra_env)
        status = "failure" if self.failed else "success"
        return {
            "inputs": Ctx(self.inputs),
            "secrets": Ctx(dict(kv.split("=", 1) for kv in self.args.secret)),
            "vars": Ctx(dict(kv.split("=", 1) for kv in self.args.var)),
            "steps": Ctx({k: v for k, v in self.steps.items()}),
            "job": Ctx({"status": status}),
            "github": Ctx(self.github),
            "env": Ctx(env),
            "runner": Ctx({"temp": self.temp, "os": "Linux"}),
            "_always": lambda: True,
            "_success": lambda: not self.failed,
            "_failure": lambda: self.failed,
            "_cancelled": lambda: False,
        }

    def evaluate(self, expr, extra_env=None):
        value = eval(to_python(expr), {"__builtins__": {}}, self.context(extra_env or {}))
        return value

    def interpolate(self, text, extra_env=None):
        def one(m):
            v = self.evaluate(m.group(1), extra_env)
            if v is True:
                return "true"
            if v is False:
                return "false"
            return "" if v is None else str(v)

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(text), flags=re.S)

    def condition(self, cond, extra_env):
        if cond is None:
            return not self.failed
        text = str(cond).strip()
        m = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
        expr = m.group(1) if m else text
        uses_status = re.search(r"\b(always|success|failure|cancelled)\(", expr)
        if not uses_status:
            expr = f"success() && ({expr})"
        return bool(self.evaluate(expr, extra_env))

    def env_block(self, block, base):
        out = {}
        for k, v in (block or {}).items():
            out[k] = self.interpolate(v, dict(base, **out))
        return out

    def run(self):
        self.env = self.env_block(self.doc.get("env"), {})
        self.env.update(self.env_block(self.job.get("env"), self.env))
        results = {}
        for n, step in enumerate(self.job.get("steps") or []):
            name = step.get("name") or step.get("uses") or f"step {n}"
            step_env = self.env_block(step.get("env"), self.env)
            if not self.condition(step.get("if"), step_env):
                outcome = "skipped"
            elif "uses" in step:
                outcome = self.action(step, step_env)
            else:
                outcome = self.shell(step, step_env)
            if outcome == "failure" and not step.get("continue-on-error"):
                self.failed = True
            sid = step.get("id")
            record = {"outcome": outcome, "conclusion": outcome,
                      "outputs": self.read_outputs()}
            if sid:
                self.steps[sid] = record
            results[sid or str(n)] = outcome
            print(f"step {n} {name}: {outcome}", flush=True)
        status = "failure" if self.failed else "success"
        outputs = {k: v["outputs"] for k, v in self.steps.items() if v["outputs"]}
        env_url = ""
        envspec = self.job.get("environment")
        if isinstance(envspec, dict) and envspec.get("url"):
            env_url = self.interpolate(envspec["url"])
        print(json.dumps({"job": self.args.job, "steps": results, "status": status,
                          "outputs": outputs, "environment_url": env_url,
                          "summary": self.files["summary"], "temp": self.temp}))
        return 1 if self.failed else 0

    def read_outputs(self):
        outputs = {}
        path = self.files["output"]
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if "=" in line:
                        k, v = line.rstrip("\n").split("=", 1)
                        outputs[k] = v
            os.unlink(path)
        return outputs

    def action(self, step, step_env):
        name = str(step["uses"]).split("@")[0]
        with_ = {k: self.interpolate(v, step_env) for k, v in (step.get("with") or {}).items()}
        if name == "actions/checkout":
            return "success"
        if name == "aws-actions/configure-aws-credentials":
            if not with_.get("role-to-assume") or not with_.get("aws-region"):
                print(f"  configure-aws-credentials: role-to-assume '{with_.get('role-to-assume')}'"
                      f", aws-region '{with_.get('aws-region')}': missing", flush=True)
                return "failure"
            self.env.update(dict(kv.split("=", 1) for kv in self.args.emulate_aws))
            self.env["AWS_ROLE_ARN"] = with_["role-to-assume"]
            self.env["AWS_REGION"] = self.env["AWS_DEFAULT_REGION"] = with_["aws-region"]
            if with_.get("role-session-name"):
                self.env["AWS_ROLE_SESSION_NAME"] = with_["role-session-name"]
            return "success"
        raise Unsupported(f"no stand-in for action '{name}'")

    def shell(self, step, step_env):
        script = self.interpolate(step["run"], step_env)
        shell = str(step.get("shell") or ((self.job.get("defaults") or {}).get("run") or {}).get("shell")
                    or ((self.doc.get("defaults") or {}).get("run") or {}).get("shell") or "bash")
        if shell != "bash":
            raise Unsupported(f"shell '{shell}'")
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", self.temp),
               "LANG": "C.UTF-8", "CI": "true", "GITHUB_ACTIONS": "true",
               "GITHUB_WORKSPACE": self.work, "RUNNER_TEMP": self.temp,
               "GITHUB_OUTPUT": self.files["output"], "GITHUB_ENV": self.files["env"],
               "GITHUB_STEP_SUMMARY": self.files["summary"],
               "GITHUB_REPOSITORY": self.github["repository"], "GITHUB_RUN_ID": self.github["run_id"],
               "GITHUB_SHA": self.github["sha"], "GITHUB_SERVER_URL": self.github["server_url"]}
        env.update(dict(kv.split("=", 1) for kv in self.args.env))
        env.update(self.env)
        env.update(step_env)
        res = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                             cwd=self.work, env=env, stdin=subprocess.DEVNULL)
        if os.path.exists(self.files["env"]):
            with open(self.files["env"], encoding="utf-8") as f:
                for line in f:
                    if "=" in line:
                        k, v = line.rstrip("\n").split("=", 1)
                        self.env[k] = v
            os.unlink(self.files["env"])
        return "success" if res.returncode == 0 else "failure"


def main():
    ap = argparse.ArgumentParser(description="runs one workflow job locally")
    ap.add_argument("workflow")
    ap.add_argument("job")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--var", action="append", default=[])
    ap.add_argument("--env", action="append", default=[],
                    help="runner environment (PATH and HOME come from here)")
    ap.add_argument("--emulate-aws", action="append", default=[],
                    help="variables configure-aws-credentials exports")
    args = ap.parse_args()
    try:
        return Runner(args).run()
    except Unsupported as e:
        print(f"run_workflow: unsupported: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
