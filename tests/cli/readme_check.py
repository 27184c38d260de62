#!/usr/bin/python3
"""Does README.md tell the truth? (make test-cli)

    readme_check.py --bin build/craftctl [--readme README.md]

Checks what the README states against the tree and the binary:
- the commands table lists exactly the commands `craftctl --help` lists;
- every --option it names is accepted by craftctl (globally or by a
  command, as `craftctl help COMMAND` shows);
- the stack-file table lists exactly the keys lib/config/schema.c accepts;
- every `make TARGET` it names is a target of the Makefile;
- every path in the repository it names exists;
- every AWS_* / CRAFTCTL_* variable it names is read by lib/ or cli/;
- each error message the troubleshooting table quotes is (in pieces, split
  at its "…") in lib/ or cli/.
Prints ok/FAIL lines; exits 1 when anything failed.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

failures = 0


def report(cond, text, why=""):
    global failures
    if cond:
        print(f"ok   readme: {text}")
    else:
        failures += 1
        print(f"FAIL readme: {text}: {why}")


def section(text, title):
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return m.group(1) if m else ""


def table_first_cells(sect):
    cells = []
    for line in sect.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            cells.append(line.split("|")[1].strip())
    return cells[1:]  # the header row goes


def sources():
    files = sorted(glob.glob("lib/**/*.[ch]", recursive=True) + glob.glob("cli/*.[ch]"))
    return "\n".join(open(f, encoding="utf-8").read() for f in files)


def help_text(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, check=False).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/craftctl")
    ap.add_argument("--readme", default="README.md")
    args = ap.parse_args()
    readme = open(args.readme, encoding="utf-8").read()
    ticks = re.findall(r"`([^`\n]+)`", readme)
    code = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", readme, re.S | re.M))
    src = sources()

    # Commands.
    top = help_text(args.bin, "--help")
    listed = re.search(r"^commands:\n(.*?)\n\n", top, re.S | re.M).group(1)
    cmds = {line.split()[0] for line in listed.splitlines()}
    in_table = set()
    for cell in table_first_cells(section(readme, "Commands")):
        for part in re.findall(r"`([^`]+)`", cell):
            in_table.add(part.split()[0])
    report(in_table == cmds, f"the commands table lists the {len(cmds)} commands of --help",
           f"only in README: {sorted(in_table - cmds)}, only in --help: {sorted(cmds - in_table)}")

    # Options.
    known = set(re.findall(r"(?:^|[\s,])(--[a-z][a-z-]*|-[a-zA-Z])\b", top))
    for c in cmds:
        known |= set(re.findall(r"(?:^|[\s,])(--[a-z][a-z-]*|-[a-zA-Z])\b", help_text(args.bin, "help", c)))
    named = set()
    for t in ticks:
        # craftctl's own: an option alone, or a craftctl command line.
        if not (t.startswith("-") or t.split()[0] in cmds | {"craftctl"}):
            continue
        named |= set(re.findall(r"(?:^|[\s/])(--[a-z][a-z-]*|-[a-zA-Z]|-vv)(?=[\s=/]|$)", t))
    named.discard("-vv")  # -v counted twice
    unknown = sorted(named - known)
    report(not unknown, f"every craftctl option it names ({len(named)}) is accepted", f"unknown: {unknown}")

    # The stack file.
    cfg = open("lib/config/schema.c", encoding="utf-8").read()
    tables = dict(re.findall(r"(?:static )?const struct field (\w+)\[\] = \{(.*?)\n\};", cfg, re.S))
    keys = set()

    def walk(name, prefix, depth=0):
        for key, kind, sub in re.findall(r'\{ "([a-z_]+)", (T_\w+), [^,]*, [^,]*, (\w+)', tables[name]):
            if kind == "T_SECTION" and depth == 0:
                walk(sub, prefix + key + ".", depth + 1)
            else:
                keys.add(prefix + key)
    walk("schema_root", "")
    rows = {re.sub(r"`", "", c) for c in table_first_cells(section(readme, "The stack file"))}
    report(bool(keys) and rows == keys, f"the stack file table lists the {len(keys)} keys lib/config/schema.c accepts",
           f"only in README: {sorted(rows - keys)}, only in schema.c: {sorted(keys - rows)}")

    # make targets.
    db = subprocess.run(["make", "-pRrq", "-f", "Makefile", ":"], capture_output=True, text=True,
                        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
                        check=False).stdout
    targets = set(re.findall(r"^([a-zA-Z0-9][\w.-]*):(?!=)", db, re.M))
    wanted = set()
    for t in ticks + code.splitlines():
        m = re.match(r"\s*make(?:\s+([a-z][\w-]*))?(?:\s|$)", t)
        if m and m.group(1):
            wanted.add(m.group(1))
    missing = sorted(wanted - targets)
    report(bool(wanted) and not missing, f"every make target it names is in the Makefile ({', '.join(sorted(wanted))})",
           f"no such target: {missing}")

    # Paths in the repository.
    paths = set()
    for t in ticks:
        if re.fullmatch(r"(\.?[a-z][\w.-]*/)+[\w.-]*|[\w-]+\.(md|ya?ml|sh)|\.env\.example", t) and \
                not t.startswith(("../", "/", "build/")) and "<" not in t:
            paths.add(t)
    roots = ("", "lib/", "tests/")  # the layout table names lib/'s and tests/' folders bare
    gone = sorted(p for p in paths if not any(os.path.exists(r + p) for r in roots))
    report(bool(paths) and not gone, f"every repository path it names exists ({len(paths)})", f"missing: {gone}")

    # Environment variables.
    env = {t for t in ticks if re.fullmatch(r"(AWS|CRAFTCTL)_[A-Z0-9_]+", t)}
    unread = sorted(v for v in env if f'"{v}"' not in src)
    report(bool(env) and not unread, f"every variable it names is read by the code ({len(env)})", f"not read: {unread}")

    # Troubleshooting messages.
    bad = []
    quoted = [t for t in re.findall(r"`([^`\n]+)`", section(readme, "Troubleshooting")) if "…" in t]
    for msg in quoted:
        for piece in (p.strip() for p in msg.split("…")):
            if len(piece) >= 6 and piece not in src:
                bad.append(piece)
    report(len(quoted) >= 3 and not bad, f"the troubleshooting messages ({len(quoted)}) are the code's",
           f"not in lib/ or cli/: {bad}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
