#!/usr/bin/python3
"""Prints one value from a craftctl stack file, for the workflow scripts.

    stack-info.py FILE stack      the stack name (`stack:`)
    stack-info.py FILE ssh_key    instance.ssh_key as written ("" when left out)

craftctl itself validates the file; this only reads the two values a
workflow needs before craftctl runs, and fails (exit 2) on a file that is
not a mapping or has no stack name.
"""
import sys

import yaml


def main(argv):
    if len(argv) != 3 or argv[2] not in ("stack", "ssh_key"):
        print("usage: stack-info.py FILE stack|ssh_key", file=sys.stderr)
        return 2
    path, what = argv[1], argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"stack-info: cannot read '{path}': {e}", file=sys.stderr)
        return 2
    if not isinstance(doc, dict):
        print(f"stack-info: '{path}' is not a mapping", file=sys.stderr)
        return 2
    if what == "stack":
        stack = doc.get("stack")
        if not isinstance(stack, str) or not stack:
            print(f"stack-info: '{path}' has no 'stack:' name", file=sys.stderr)
            return 2
        print(stack)
        return 0
    instance = doc.get("instance") or {}
    key = instance.get("ssh_key") if isinstance(instance, dict) else None
    print(key if isinstance(key, str) else "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
