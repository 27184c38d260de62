#!/usr/bin/python3
"""Checks the GitHub Actions workflows without GitHub (make test-pipeline).

    check_workflows.py [--repo DIR] [--bin CRAFTCTL] CHECK [FILE...]

CHECK is one of:
  shell     every run: block through shellcheck, with ${{ }} expressions
            replaced by placeholders of the same length (as actionlint does)
  craftctl  every `craftctl ...` invocation in the workflows (and in the
            sh/bash/console code blocks of README.md and docs/*.md, and the
            command lines of docs/*.md's indented blocks) asked of the binary: the command must exist and
            `craftctl ARGS --help` must be accepted by its real parser. A
            command of the CLI contract that this build does not know yet is
            reported PENDING, not passed
  security  no SSH host-key checking or TLS verification disabled, no
            credentials, secrets and untrusted inputs never expanded inside
            run: scripts, AWS access only through the OIDC role
  paths     deploy.yml's `paths` filter: every pattern matches a file in
            the repository, and files that end up on the instance or in
            craftctl trigger a deploy while docs and tests do not
  structure what the project requires of each workflow (permissions,
            concurrency, environment, OIDC, the confirmation step, ...)
  refs      every script and package list a run: block names exists (and
            is executable when run directly), every `make` target exists
  globs     the paths matcher itself, on GitHub's documented examples
  all       all of the above

Each finding is a line "ok   ...", "FAIL ..." or "PEND ..."; the exit status
is 1 when anything failed. FILEs default to .github/workflows/*.yml.
"""
import argparse
import fnmatch
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

# The commands of the CLI contract (the man page lists them). A workflow may name one of these before this build has it
# (reported PENDING); any other unknown command is a typo and fails.
CONTRACT_COMMANDS = {
    "plan", "provision", "deploy", "up", "status", "destroy", "ssh", "logs",
    "api", "version", "help", "iam-policy",
}

# shellcheck findings that placeholders and env: variables cause, the same
# ones actionlint leaves out.
SHELLCHECK_EXCLUDE = "SC1091,SC2050,SC2154,SC2157,SC2194"

EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)
SHELL_OPS = {";", ";;", "&", "&&", "|", "||", "(", ")", "|&", "<", ">", ">>",
             "<<", "<<<", ">&", "<&", "&>", ">|", "&>>", "$("}
COMMAND_PREFIX = {"sudo", "env", "exec", "time", "then", "do", "else", "!", "if",
                  "while", "until", "command", "nice", "xargs"}


class Report:
    def __init__(self):
        self.counts = {"ok": 0, "FAIL": 0, "PEND": 0}

    def add(self, status, text):
        self.counts[status] += 1
        tag = {"ok": "ok  ", "FAIL": "FAIL", "PEND": "PEND"}[status]
        print(f"{tag} {text}", flush=True)

    def ok(self, text):
        self.add("ok", text)

    def fail(self, text):
        self.add("FAIL", text)

    def check(self, cond, text, why=""):
        if cond:
            self.ok(text)
        else:
            self.fail(f"{text}{': ' + why if why else ''}")
        return cond


# ---------------------------------------------------------------- loading

class NoDatesLoader(yaml.SafeLoader):
    """YAML 1.1's `on:` is the boolean True; GitHub reads it as the key."""


def _bool_or_on(loader, node):
    if node.value in ("on", "On", "ON"):
        return node.value
    return yaml.SafeLoader.construct_yaml_bool(loader, node)


NoDatesLoader.add_constructor("tag:yaml.org,2002:bool", _bool_or_on)


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text, yaml.load(text, Loader=NoDatesLoader)


def steps_of(doc):
    """(job_id, index, step) for every step of every job."""
    for job_id, job in (doc.get("jobs") or {}).items():
        for i, step in enumerate((job or {}).get("steps") or []):
            yield job_id, i, job, step


def step_label(path, job_id, i, step):
    name = step.get("name") or step.get("uses") or step.get("id") or ""
    return f"{os.path.basename(path)} jobs.{job_id}.steps[{i}] ({name})"


def shell_of(doc, job, step):
    for scope in (step, (job or {}).get("defaults", {}).get("run", {}),
                  (doc.get("defaults") or {}).get("run", {})):
        if scope and scope.get("shell"):
            return scope["shell"]
    return "bash"


def placeholders(script):
    return EXPR.sub(lambda m: "_" * len(m.group(0)), script)


# ---------------------------------------------------------------- shell

def check_shell(rep, files, repo):
    for path in files:
        _, doc = load(path)
        for job_id, i, job, step in steps_of(doc):
            if "run" not in step:
                continue
            label = step_label(path, job_id, i, step)
            shell = shell_of(doc, job, step).split()[0]
            if shell not in ("bash", "sh"):
                rep.fail(f"shellcheck {label}: shell '{shell}' is not checked; use bash or sh")
                continue
            script = placeholders(str(step["run"]))
            with tempfile.NamedTemporaryFile("w", suffix=".sh", dir=repo, delete=False) as f:
                f.write(f"#!/usr/bin/env {shell}\n{script}\n")
                tmp = f.name
            try:
                res = subprocess.run(
                    ["shellcheck", "--norc", "-x", f"--shell={shell}", "-f", "gcc",
                     "-e", SHELLCHECK_EXCLUDE, os.path.basename(tmp)],
                    cwd=repo, capture_output=True, text=True)
            finally:
                os.unlink(tmp)
            out = (res.stdout + res.stderr).replace(os.path.basename(tmp), "run")
            rep.check(res.returncode == 0, f"shellcheck {label}", out.strip())


# ---------------------------------------------------------------- craftctl

def logical_lines(script):
    """Lines with backslash-newline continuations joined."""
    return re.sub(r"\\\n[ \t]*", " ", script).split("\n")


def tokenize(line):
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = ""
    toks = []
    for t in lex:
        if t.startswith("#"):
            break  # a word that starts with # starts a comment
        toks.append(t)
    return toks


def invocations_in(script):
    """(line, args) for every craftctl invocation in a shell script."""
    found = []
    for line in logical_lines(script):
        if "craftctl" not in line:
            continue
        try:
            toks = tokenize(line)
        except ValueError:
            found.append((line.strip(), None))
            continue
        for k, t in enumerate(toks):
            if os.path.basename(t) != "craftctl":
                continue
            j = k - 1
            while j >= 0 and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", toks[j]):
                j -= 1  # VAR=value prefixes
            if j >= 0 and toks[j] not in SHELL_OPS and toks[j] not in COMMAND_PREFIX:
                continue  # an argument of something else (which craftctl, echo craftctl)
            args = []
            for a in toks[k + 1:]:
                if a in SHELL_OPS or set(a) <= set(";&|()<>"):
                    if a[0] in "<>" and args and args[-1].isdigit():
                        args.pop()  # the 2 of 2>file
                    break
                args.append(a)
            found.append((line.strip(), args))
    return found


INDENTED_COMMAND = re.compile(r"^ {4,}(?:\$ )?((?:\./)?(?:build/)?craftctl\s.*)$")


def doc_code_blocks(path, indented=False):
    """(first line number, shell text) of each fenced sh/bash/shell/console
    code block; console blocks keep only their "$ " command lines. With
    indented, also every line of an indented block that is a craftctl
    command line (a synopsis with [brackets] or <angles> is not)."""
    if not os.path.exists(path):
        return []
    blocks = []
    fence = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = INDENTED_COMMAND.match(line.rstrip("\n")) if indented and fence is None else None
            if m and not re.search(r"[\[<]", m.group(1).split("#")[0]):
                blocks.append((n, m.group(1)))
                continue
            m = re.match(r"^\s*(```+|~~~+)\s*([\w-]*)", line)
            if m and fence is None:
                fence = (m.group(1), m.group(2).lower(), n + 1, [])
                continue
            if fence and line.strip().startswith(fence[0]):
                if fence[1] in ("sh", "bash", "shell", "console"):
                    blocks.append((fence[2], "\n".join(fence[3])))
                fence = None
                continue
            if fence:
                text = line.rstrip("\n")
                if fence[1] == "console":
                    if not text.lstrip().startswith("$ "):
                        continue
                    text = text.lstrip()[2:]
                fence[3].append(text)
    return blocks


class Cli:
    """What the binary says about itself."""

    def __init__(self, binary):
        self.bin = binary
        res = subprocess.run([binary, "--help"], capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"{binary} --help exited {res.returncode}: {res.stderr}")
        self.commands = set()
        self.globals = {}  # "--name" / "-x" -> takes a value
        section = None
        for line in res.stdout.splitlines():
            if line.startswith("commands:"):
                section = "commands"
                continue
            if line.startswith("global options"):
                section = "globals"
                continue
            if not line.strip():
                section = None if section == "globals" else section
                if section == "commands":
                    section = None
                continue
            if section == "commands":
                self.commands.add(line.split()[0])
            elif section == "globals":
                m = re.match(r"^\s+(?:-(\w), )?--([\w-]+)(?: ([A-Z][A-Z_]*))?(?:\s|$)", line)
                if m:
                    takes = m.group(3) is not None
                    self.globals["--" + m.group(2)] = takes
                    if m.group(1):
                        self.globals["-" + m.group(1)] = takes
        if not self.commands or "--config" not in self.globals:
            raise RuntimeError(f"cannot read the commands and options from {binary} --help")

    def split(self, args):
        """(command, index) of the first non-option word, skipping globals."""
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                return None, i
            if a.startswith("--"):
                if self.globals.get(a.split("=", 1)[0]) and "=" not in a:
                    i += 1  # --config FILE
                i += 1
                continue
            if a.startswith("-") and len(a) > 1:
                # A cluster (-vy, -cFILE): a value-taking letter takes the
                # rest of the word, or the next word when it ends the cluster.
                for pos, ch in enumerate(a[1:], 1):
                    if self.globals.get("-" + ch):
                        if pos == len(a) - 1:
                            i += 1
                        break
                i += 1
                continue
            return a, i
        return None, len(args)

    def command_opts(self, cmd):
        """The command's own options from `craftctl help CMD` (name -> takes a value)."""
        res = subprocess.run([self.bin, "help", cmd], capture_output=True, text=True)
        opts, section = {}, False
        for line in res.stdout.splitlines():
            if line.startswith("options:"):
                section = True
            elif not line.strip():
                section = False
            elif section:
                m = re.match(r"^\s+(?:-(\w), )?--([\w-]+)(?: ([A-Z][A-Z_=.]*))?(?:\s|$)", line)
                if m:
                    opts["--" + m.group(2)] = m.group(3) is not None
                    if m.group(1):
                        opts["-" + m.group(1)] = m.group(3) is not None
        return opts

    def parse(self, args, cmd):
        """Runs the real parser on ARGS: `craftctl ARGS --help` (--help put
        before any --), which parses every option and then only prints the
        command's usage. Never lets the command itself run: a value-taking
        option at the end would swallow the --help, so that is caught here,
        and anything but usage on stdout counts as a failure. Runs in an
        empty directory with AWS pointed at a closed loopback port."""
        cut = args.index("--") if "--" in args else len(args)
        if cut:
            last = args[cut - 1]
            takes = dict(self.globals, **(self.command_opts(cmd) if cmd else {}))
            if not last.startswith("--") and last.startswith("-") and len(last) > 1:
                last = "-" + last[-1]
            if takes.get(last) and "=" not in last:
                return 2, f"option '{last}' needs a value"
        argv = [self.bin] + args[:cut] + ["--help"] + args[cut:]
        with tempfile.TemporaryDirectory() as tmp:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp,
                   "GITHUB_ACTIONS": "false", "NO_COLOR": "1",
                   "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true"}
            res = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                 timeout=20, env=env, cwd=tmp)
        if res.returncode == 0 and not res.stdout.startswith("usage: craftctl"):
            return 1, f"exit 0 but no usage printed (did the command run?): {res.stdout[:200]}"
        return res.returncode, (res.stderr or res.stdout).strip()


def placeholder_args(args):
    return [EXPR.sub("PLACEHOLDER", a) for a in args]


def check_invocation(rep, cli, where, line, args):
    shown = f"{where}: `{line}`"
    if args is None:
        rep.fail(f"craftctl {shown}: cannot split the line into words")
        return
    args = placeholder_args(args)
    if not args:
        rep.fail(f"craftctl {shown}: no command")
        return
    cmd, idx = cli.split(args)
    if cmd is None:
        if any(a in ("--help", "-h", "--version") for a in args):
            rc, msg = cli.parse(args, None)
            rep.check(rc == 0 or "--version" in args, f"craftctl {shown}", msg)
        else:
            rep.fail(f"craftctl {shown}: no command")
        return
    if cmd in cli.commands:
        rc, msg = cli.parse(args, cmd)
        rep.check(rc == 0, f"craftctl {shown}: accepted by the binary",
                  f"the binary rejects it: {msg}")
        return
    if cmd not in CONTRACT_COMMANDS:
        close = fnmatch.filter(sorted(CONTRACT_COMMANDS | cli.commands), cmd[:2] + "*")
        rep.fail(f"craftctl {shown}: '{cmd}' is not a craftctl command"
                 f"{' (did you mean ' + ', '.join(close) + '?)' if close else ''}")
        return
    # A contract command this build does not have yet: check what can be.
    rest = [a for k, a in enumerate(args) if k != idx]
    unknown = []
    k = 0
    while k < len(rest):
        a = rest[k]
        if a == "--":
            break
        if a.startswith("-"):
            name = a.split("=", 1)[0]
            if name not in cli.globals:
                unknown.append(name)
            elif cli.globals[name] and "=" not in a:
                k += 1
        k += 1
    detail = "its global options are accepted by this build"
    if unknown:
        detail += f"; its own options {', '.join(unknown)} are checked once it lands"
    rep.add("PEND", f"craftctl {shown}: command '{cmd}' is in the CLI contract but not in "
                    f"this build yet ({detail})")


def check_craftctl(rep, files, repo, binary, docs=True):
    try:
        cli = Cli(binary)
    except (OSError, RuntimeError) as e:
        rep.fail(f"craftctl: cannot ask the binary: {e}")
        return
    total = 0
    for path in files:
        _, doc = load(path)
        for job_id, i, job, step in steps_of(doc):
            if "run" not in step:
                continue
            for line, args in invocations_in(str(step["run"])):
                total += 1
                check_invocation(rep, cli, step_label(path, job_id, i, step), line, args)
    doc_paths = ["README.md"] + sorted(
        os.path.relpath(p, repo) for p in glob.glob(os.path.join(repo, "docs/*.md")))
    for doc_path in doc_paths if docs else ():
        full = os.path.join(repo, doc_path)
        for n, text in doc_code_blocks(full, indented=doc_path.startswith("docs/")):
            for line, args in invocations_in(text):
                total += 1
                check_invocation(rep, cli, f"{doc_path} (block at line {n})", line, args)
    rep.check(total > 0, f"craftctl: found {total} invocations to check",
              "none found: the extraction is broken")


# ---------------------------------------------------------------- security

HOSTKEY_OFF = [
    (re.compile(r"StrictHostKeyChecking\s*[= ]\s*[\"']?(no|off|accept-new|false)", re.I),
     "StrictHostKeyChecking disabled"),
    (re.compile(r"(UserKnownHostsFile|GlobalKnownHostsFile)\s*[= ]\s*[\"']?/dev/null", re.I),
     "known_hosts thrown away"),
    (re.compile(r"\bssh-keyscan\b"), "ssh-keyscan trusts whatever key answers"),
    (re.compile(r"--(no-host-key-check\w*|insecure-host-key|skip-host-key\w*|no-verify-host\w*)"),
     "a host-key check switched off"),
    (re.compile(r"(^|\s)(curl\s[^\n]*\s)(-k|--insecure)(\s|$)"), "TLS verification switched off"),
]

CREDENTIALS = [
    (re.compile(r"\b(AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}"),
     "a GitHub token"),
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+"), "a webhook URL"),
    (re.compile(r"(?i)aws[_-]?secret[_-]?access[_-]?key\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}"),
     "an AWS secret key"),
]

SECRET_NAME = re.compile(r"(?i)(secret|token|password|passwd|private[_-]?key|webhook|credential)")
UNTRUSTED = re.compile(r"\b(secrets\.|inputs\.|github\.event\.|github\.head_ref|env\.)")


def walk(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (str(k),))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (str(i),))
    else:
        yield path, node


def check_security(rep, files, repo, extra_files=()):
    for path in list(files) + list(extra_files):
        name = os.path.relpath(path, repo)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        hits = [f"{what}: {m.group(0).strip()}" for pat, what in HOSTKEY_OFF
                for m in pat.finditer(text)]
        rep.check(not hits, f"security {name}: no SSH host-key or TLS verification switched off",
                  f"found {hits}")
        hits = [f"{what}: {m.group(0)[:12]}..." for pat, what in CREDENTIALS
                for m in pat.finditer(text)]
        rep.check(not hits, f"security {name}: no credentials", f"found {hits}")
        if not path.endswith((".yml", ".yaml")):
            continue
        _, doc = load(path)
        bad_keys, literal_secrets, aws_env = [], [], []
        for p, value in walk(doc):
            key = p[-1] if p else ""
            if key in ("aws-access-key-id", "aws-secret-access-key", "aws-session-token"):
                bad_keys.append(".".join(p))
            if len(p) >= 2 and p[-2] == "env" and key in (
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                aws_env.append(".".join(p))
            if len(p) >= 2 and p[-2] in ("env", "with") and SECRET_NAME.search(key) \
                    and isinstance(value, str):
                v = str(value).strip()
                if v and not re.fullmatch(r"\$\{\{\s*(secrets\.[A-Za-z0-9_]+|github\.token)\s*\}\}", v):
                    literal_secrets.append(f"{'.'.join(p)}={v[:20]}")
        rep.check(not bad_keys, f"security {name}: no AWS access key inputs (OIDC only)",
                  f"found {bad_keys}")
        rep.check(not aws_env, f"security {name}: no AWS key variables in env:", f"found {aws_env}")
        rep.check(not literal_secrets,
                  f"security {name}: every secret-named env:/with: value is a ${{{{ secrets.* }}}}",
                  f"found {literal_secrets}")
        injected = []
        for job_id, i, job, step in steps_of(doc):
            if "run" in step:
                for m in EXPR.finditer(str(step["run"])):
                    if UNTRUSTED.search(m.group(0)):
                        injected.append(f"jobs.{job_id}.steps[{i}]: {m.group(0)}")
        rep.check(not injected,
                  f"security {name}: secrets, inputs and event data reach run: scripts only through env:",
                  f"expanded inside the script: {injected}")


# ---------------------------------------------------------------- paths

def glob_regex(pattern):
    """GitHub's filter pattern syntax (*, **, ?, [..]) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif c == "*":
            out += "[^/]*"
            i += 1
        elif c == "?":
            out += "[^/]"
            i += 1
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                out += re.escape(c)
                i += 1
            else:
                out += pattern[i:j + 1]
                i = j + 1
        else:
            out += re.escape(c)
            i += 1
    return re.compile(out + r"\Z")


def triggers(patterns, path):
    """Whether a change to path matches a paths: filter (with ! negations)."""
    hit = False
    for p in patterns:
        neg = p.startswith("!")
        if glob_regex(p[1:] if neg else p).match(path):
            hit = not neg
    return hit


# GitHub's documented filter pattern examples, so the paths check itself is
# checked: (pattern, path, matches).
GLOB_CASES = [
    ("cli/**", "cli/main.c", True), ("cli/**", "cli/a/b/c.c", True),
    ("cli/**", "cli", False), ("cli/**", "lib/cli/x.c", False),
    ("cli/*", "cli/main.c", True), ("cli/*", "cli/a/b.c", False),
    ("*.md", "README.md", True), ("*.md", "docs/app.md", False),
    ("**.md", "docs/app.md", True), ("**/*.md", "README.md", True),
    ("**/*.md", "docs/a/b.md", True), ("docker-compose.yml", "docker-compose.yml", True),
    ("docker-compose.yml", "app/docker-compose.yml", False),
    ("docker-compose.yml", "docker-compose.yml.bak", False),
    ("deps/**", "deps/build.txt", True), ("Makefile", "mk/Makefile", False),
    ("app/**/*.py", "app/backend/x/y.py", True), ("file?.txt", "file1.txt", True),
    ("file?.txt", "file10.txt", False), ("[ab].c", "a.c", True), ("[ab].c", "c.c", False),
]


def check_globs(rep):
    wrong = [(p, f, want) for p, f, want in GLOB_CASES if bool(glob_regex(p).match(f)) != want]
    rep.check(not wrong, f"globs: the paths matcher agrees with GitHub's filter syntax on "
                         f"{len(GLOB_CASES)} cases", f"wrong: {wrong}")
    rep.check(triggers(["app/**", "!app/**/*.md"], "app/x.py")
              and not triggers(["app/**", "!app/**/*.md"], "app/docs/x.md"),
              "globs: a ! pattern excludes what an earlier pattern included")


# Files that must deploy when they change, and files that must not. A
# listed file need not exist: this is about the filter's meaning.
MUST_DEPLOY = [
    "cli/main.c", "cli/cmd_up.c", "lib/core/buf.c", "lib/infra/apply.c", "lib/aws/sigv4.c",
    "templates/install-docker.sh", "app/backend/manage.py",
    "app/backend/accounts/views.py", "app/frontend/src/App.jsx", "app/nginx/nginx.conf",
    "docker-compose.yml", "craftctl.yaml", "Makefile", "deps/build.txt", "scripts/embed.sh",
    ".github/workflows/deploy.yml", ".github/scripts/install-ssh-key.sh",
]
MUST_NOT_DEPLOY = [
    "README.md", "docs/github-actions.md", "docs/app.md", "tests/unit/core/buf.c",
    "tests/pipeline/check_workflows.py", ".github/workflows/ci.yml",
    ".github/workflows/destroy.yml", "mk/pipeline.mk",
]


# Patterns for files other areas are still writing (issues 5, 6, 7): PEND
# while they match nothing, instead of failing everyone's `make test`.
NOT_YET_LANDED = {
    "templates/**": "the deploy helper's remote templates",
    "docker-compose.yml": "the app helper's compose file",
    "craftctl.yaml": "the repository's own stack file",
}


def check_paths(rep, repo, wfdir):
    path = os.path.join(wfdir, "deploy.yml")
    _, doc = load(path)
    push = ((doc.get("on") or {}).get("push") or {})
    patterns = push.get("paths") or []
    if not rep.check(bool(patterns), "paths deploy.yml: push has a paths: filter"):
        return
    rep.check("paths-ignore" not in push, "paths deploy.yml: no paths-ignore beside paths")
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo,
                             capture_output=True, text=True, check=True).stdout.split()
    for p in patterns:
        if p.startswith("!"):
            continue
        rx = glob_regex(p)
        n = sum(1 for f in tracked if rx.match(f))
        if n == 0 and p in NOT_YET_LANDED:
            rep.add("PEND", f"paths deploy.yml: '{p}' matches no file yet ({NOT_YET_LANDED[p]})")
            continue
        rep.check(n > 0, f"paths deploy.yml: '{p}' matches {n} file(s) in the repository",
                  "a filter that never matches never deploys")
    for f in MUST_DEPLOY:
        rep.check(triggers(patterns, f), f"paths deploy.yml: a change to {f} deploys")
    for f in MUST_NOT_DEPLOY:
        rep.check(not triggers(patterns, f), f"paths deploy.yml: a change to {f} does not deploy")
    # Every tracked file that is compiled into craftctl or shipped to the
    # instance: cli/, lib/, templates/, app/ and the compose file.
    shipped = [f for f in tracked
               if re.match(r"^(cli|lib|templates|app)/", f) or f == "docker-compose.yml"]
    missed = [f for f in shipped if not triggers(patterns, f)]
    rep.check(not missed, f"paths deploy.yml: all {len(shipped)} shipped files trigger a deploy",
              f"not covered: {missed[:10]}")


# ---------------------------------------------------------------- structure

def find_steps(doc, pred):
    return [(job_id, i, step) for job_id, i, job, step in steps_of(doc) if pred(step)]


def runs(step, pattern):
    """Whether the step's script (continuation lines joined) matches."""
    return "run" in step and re.search(
        pattern, "\n".join(logical_lines(str(step["run"]))), re.M) is not None


def uses(step, action):
    return str(step.get("uses", "")).split("@")[0] == action


def check_structure(rep, repo, wf):
    _, deploy = load(os.path.join(wf, "deploy.yml"))
    _, destroy = load(os.path.join(wf, "destroy.yml"))
    _, ci = load(os.path.join(wf, "ci.yml"))

    # deploy.yml
    on = deploy.get("on") or {}
    rep.check(set(on) == {"push", "workflow_dispatch"},
              "structure deploy.yml: on push and workflow_dispatch only", f"on: {sorted(on)}")
    rep.check((on.get("push") or {}).get("branches") == ["main"],
              "structure deploy.yml: push to main only")
    inputs = ((on.get("workflow_dispatch") or {}).get("inputs") or {})
    sf = inputs.get("stack_file") or {}
    rep.check(sf.get("default") == "craftctl.yaml",
              "structure deploy.yml: dispatch input stack_file defaults to craftctl.yaml")
    for name, d in (("deploy.yml", deploy), ("destroy.yml", destroy)):
        perms = d.get("permissions")
        rep.check(perms == {"id-token": "write", "contents": "read"},
                  f"structure {name}: permissions are exactly id-token: write, contents: read",
                  f"got {perms}")
        jobs = d.get("jobs") or {}
        rep.check(all("permissions" not in j for j in jobs.values()),
                  f"structure {name}: no job widens the permissions")
        conc = d.get("concurrency") or {}
        rep.check(conc.get("cancel-in-progress") is False,
                  f"structure {name}: concurrency with cancel-in-progress: false")
        rep.check("inputs.stack_file" in str(conc.get("group", "")),
                  f"structure {name}: the concurrency group is per stack file")
        rep.check(all(j.get("environment") for j in jobs.values()),
                  f"structure {name}: every job runs in a GitHub environment")
        creds = find_steps(d, lambda s: uses(s, "aws-actions/configure-aws-credentials"))
        rep.check(len(creds) == 1, f"structure {name}: one configure-aws-credentials step")
        for _, _, s in creds:
            w = s.get("with") or {}
            rep.check(re.fullmatch(r"\$\{\{\s*vars\.AWS_ROLE_ARN\s*\}\}", str(w.get("role-to-assume", ""))),
                      f"structure {name}: role-to-assume is ${{{{ vars.AWS_ROLE_ARN }}}}")
            rep.check(re.fullmatch(r"\$\{\{\s*vars\.AWS_REGION\s*\}\}", str(w.get("aws-region", ""))),
                      f"structure {name}: aws-region is ${{{{ vars.AWS_REGION }}}}")
        notify = find_steps(d, lambda s: runs(s, r"notify\.py"))
        rep.check(len(notify) == 1 and "secrets.DEPLOY_WEBHOOK_URL" in str(notify[0][2].get("env"))
                  and "always()" in str(notify[0][2].get("if", "")),
                  f"structure {name}: an always() notification step gets DEPLOY_WEBHOOK_URL")
        summ = find_steps(d, lambda s: runs(s, r"summary\.py"))
        rep.check(len(summ) == 1 and "always()" in str(summ[0][2].get("if", "")),
                  f"structure {name}: the job summary is written on failure too")
    rep.check(deploy.get("concurrency", {}).get("group") == destroy.get("concurrency", {}).get("group"),
              "structure deploy.yml/destroy.yml: the same concurrency group, so they never overlap")
    up = find_steps(deploy, lambda s: runs(s, r"craftctl\b.*\bup\b"))
    rep.check(len(up) == 1 and runs(up[0][2], r"--yes") and runs(up[0][2], r"--json"),
              "structure deploy.yml: one step runs `craftctl up --yes --json`")
    key = find_steps(deploy, lambda s: runs(s, r"install-ssh-key\.sh"))
    rep.check(len(key) == 1 and "secrets.DEPLOY_SSH_KEY" in str(key[0][2].get("env")),
              "structure deploy.yml: the SSH key comes from the DEPLOY_SSH_KEY secret")
    env_url = str(((deploy.get("jobs") or {}).get("up") or {}).get("environment", {}))
    rep.check("steps.summary.outputs.url" in env_url,
              "structure deploy.yml: the environment links to the deployed URL")

    # destroy.yml
    on = destroy.get("on") or {}
    rep.check(list(on) == ["workflow_dispatch"], "structure destroy.yml: workflow_dispatch only")
    inputs = ((on.get("workflow_dispatch") or {}).get("inputs") or {})
    rep.check((inputs.get("confirm_stack") or {}).get("required") is True,
              "structure destroy.yml: a required confirm_stack input")
    for job_id, job in (destroy.get("jobs") or {}).items():
        steps = job.get("steps") or []
        first = next((k for k, s in enumerate(steps) if not uses(s, "actions/checkout")), None)
        rep.check(first is not None and runs(steps[first], r"confirm-stack\.sh")
                  and "inputs.confirm_stack" in str(job.get("env", {})) + str(steps[first].get("env", {})),
                  f"structure destroy.yml jobs.{job_id}: the first step after checkout confirms the typed stack name")
    des = find_steps(destroy, lambda s: runs(s, r"craftctl\b.*\bdestroy\b"))
    rep.check(len(des) == 1 and runs(des[0][2], r"--yes"),
              "structure destroy.yml: one step runs `craftctl destroy --yes`")

    # Every variable and secret a workflow reads is documented.
    doc_path = os.path.join(repo, "docs/github-actions.md")
    doc = open(doc_path, encoding="utf-8").read() if os.path.exists(doc_path) else ""
    used = set()
    for name in ("ci.yml", "deploy.yml", "destroy.yml"):
        with open(os.path.join(wf, name), encoding="utf-8") as f:
            used |= set(re.findall(r"\b(?:vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)", f.read()))
    undocumented = sorted(u for u in used if f"`{u}`" not in doc)
    rep.check(used and not undocumented,
              f"structure docs/github-actions.md: documents every variable and secret ({', '.join(sorted(used))})",
              f"undocumented: {undocumented}")

    # ci.yml
    on = ci.get("on") or {}
    rep.check("push" in on and "pull_request" in on, "structure ci.yml: on every push and pull request")
    with open(os.path.join(repo, ".ci/run"), encoding="utf-8") as f:
        targets = re.findall(r"^\s*make\s+([a-z][\w-]*)\s*$", f.read(), re.M)
    for t in targets:
        rep.check(bool(find_steps(ci, lambda s, t=t: runs(s, rf"^\s*make\s+{t}\s*$"))),
                  f"structure ci.yml: runs `make {t}` like .ci/run")
    rep.check(bool(find_steps(ci, lambda s: uses(s, "actions/cache")
                              and "apt" in str(s.get("with", {}).get("path", "")))),
              "structure ci.yml: caches apt archives")
    rep.check(bool(find_steps(ci, lambda s: uses(s, "actions/setup-node")
                              and s.get("with", {}).get("cache") == "npm")),
              "structure ci.yml: caches npm")
    compose = [
        (r"docker compose build", "builds the images with docker compose build"),
        (r"docker compose up -d --wait", "starts the stack with docker compose up -d --wait"),
        (r"tests/pipeline/smoke\.sh", "smoke-tests through Nginx"),
        (r"docker compose run --rm[^\n]* backend [^\n]*manage\.py test",
         "runs the backend tests in the built image"),
    ]
    for pattern, what in compose:
        rep.check(bool(find_steps(ci, lambda s, p=pattern: runs(s, p))), f"structure ci.yml: {what}")
    down = find_steps(ci, lambda s: runs(s, r"docker compose down"))
    rep.check(len(down) == 1 and "always()" in str(down[0][2].get("if", "")),
              "structure ci.yml: tears the stack down even on failure")


# ---------------------------------------------------------------- references

SCRIPT_REF = re.compile(r"(?<![\w./-])((?:\.github|tests|scripts)/[\w./-]+\.(?:sh|py|mjs|txt))\b")
MAKE_CALL = re.compile(r"^\s*make\b([^\n|;&]*)", re.M)


def check_references(rep, files, repo):
    """Every script, package list and make target a run: block names exists."""
    seen = set()
    for path in files:
        _, doc = load(path)
        for job_id, i, job, step in steps_of(doc):
            if "run" not in step:
                continue
            script = "\n".join(logical_lines(str(step["run"])))
            label = step_label(path, job_id, i, step)
            for ref in SCRIPT_REF.findall(script):
                if (label, ref) in seen:
                    continue
                seen.add((label, ref))
                full = os.path.join(repo, ref)
                need_x = not ref.endswith(".txt") and re.search(
                    rf"(^|[\s;&|(]){re.escape(ref)}", script, re.M) is not None
                rep.check(os.path.isfile(full) and (not need_x or os.access(full, os.X_OK)),
                          f"refs {label}: {ref} exists{' and is executable' if need_x else ''}")
            for m in MAKE_CALL.finditer(script):
                words = placeholders(m.group(1)).split()
                targets = [w for w in words if not w.startswith("-") and "=" not in w
                           and not w.startswith(("$", '"'))]
                # -o FILE takes an argument
                opts = []
                skip = False
                for w in words:
                    if skip:
                        opts += [w]
                        skip = False
                    elif w == "-o":
                        opts += [w]
                        skip = True
                if "-o" in words:
                    targets = [t for t in targets if t != words[words.index("-o") + 1]]
                res = subprocess.run(["make", "-n", "--no-print-directory", *opts, *targets],
                                     cwd=repo, capture_output=True, text=True, timeout=120)
                rep.check(res.returncode == 0,
                          f"refs {label}: `make {' '.join(words)}` names real targets",
                          (res.stderr or res.stdout).strip()[-300:])


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="checks the GitHub Actions workflows")
    ap.add_argument("--repo", default=".")
    ap.add_argument("--bin", default="build/craftctl")
    ap.add_argument("--workflows", help="the workflow folder (default REPO/.github/workflows)")
    ap.add_argument("check", choices=["shell", "craftctl", "security", "paths", "structure",
                                      "globs", "refs", "all"])
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    wfdir = os.path.abspath(args.workflows or os.path.join(repo, ".github/workflows"))
    files = args.files or sorted(
        os.path.join(wfdir, f) for f in os.listdir(wfdir) if f.endswith((".yml", ".yaml")))
    files = [os.path.abspath(f) for f in files]
    rep = Report()
    todo = ["globs", "shell", "craftctl", "security", "paths", "structure", "refs"] if args.check == "all" else [args.check]
    for c in todo:
        if c == "shell":
            check_shell(rep, files, repo)
        elif c == "craftctl":
            check_craftctl(rep, files, repo, os.path.abspath(os.path.join(repo, args.bin))
                           if not os.path.isabs(args.bin) else args.bin, docs=not args.files)
        elif c == "security":
            extra = []
            if not args.files:
                sdir = os.path.join(repo, ".github/scripts")
                if os.path.isdir(sdir):
                    extra = sorted(os.path.join(sdir, f) for f in os.listdir(sdir))
            check_security(rep, files, repo, extra)
        elif c == "paths":
            check_paths(rep, repo, wfdir)
        elif c == "structure":
            check_structure(rep, repo, wfdir)
        elif c == "globs":
            check_globs(rep)
        elif c == "refs":
            check_references(rep, files, repo)
    c = rep.counts
    print(f"check_workflows {args.check}: {c['ok']} ok, {c['FAIL']} failed, {c['PEND']} pending")
    return 1 if c["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
