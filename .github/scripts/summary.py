#!/usr/bin/python3
"""Turns craftctl's --json event stream into the job summary.

    summary.py [--title T] [--outcome success|failure|cancelled] EVENTS.jsonl

Reads the events craftctl printed (one JSON object a line; other lines, such
as ::group:: workflow commands, are skipped) and appends Markdown to
$GITHUB_STEP_SUMMARY (stdout when unset): the outcome, the result's
outputs (URL and release first), the time each phase took, the resource
actions, and every error and warning. Writes `url`, `release` and `status`
to $GITHUB_OUTPUT when set, for the environment URL and the notification.
A missing or empty events file still gives a summary that says so.
"""
import argparse
import json
import os
import re
import sys

ICON = {"success": "✅", "failure": "❌", "cancelled": "⚪"}
FIRST = ("url", "release", "previous", "time", "public_ip", "instance_id")


def cell(value):
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("|", "\\|")


def seconds(ms):
    try:
        return f"{float(ms) / 1000.0:.1f} s"
    except (TypeError, ValueError):
        return "—"


def read_events(path):
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if isinstance(ev, dict) and isinstance(ev.get("event"), str):
                    events.append(ev)
    except OSError:
        pass
    return events


def summarize(events, title, outcome):
    result = {}
    phases = []  # (phase, elapsed_ms, status), in the order they ended
    actions = {}
    problems = []
    for ev in events:
        kind = ev["event"]
        if kind == "result":
            result.update({k: v for k, v in ev.items() if k not in ("event", "phase")})
        elif kind == "phase_end":
            phases.append((ev.get("phase", "?"), ev.get("elapsed_ms"), ev.get("status", "ok")))
        elif kind == "resource":
            act = ev.get("action", "?")
            actions[act] = actions.get(act, 0) + 1
        elif kind == "error":
            msg = ev.get("message", "")
            if ev.get("aws_code"):
                msg += f" (AWS {ev['aws_code']}, request {ev.get('request_id', '?')})"
            problems.append(("error", msg))
        elif kind == "log" and ev.get("level") in ("error", "warn"):
            problems.append((ev["level"], ev.get("message", "")))

    if outcome == "success" and any(p[0] == "error" for p in problems):
        outcome = "failure"
    lines = [f"### {ICON.get(outcome, '❔')} {title}: {outcome}", ""]
    if not events:
        lines += ["craftctl printed no events; see the step's log.", ""]
    # Per-step times (step_<name>_ms) are the phases table's business; the
    # total is shown as time.
    for k in [k for k in result if re.fullmatch(r"step_.+_ms", k)]:
        del result[k]
    if "elapsed_ms" in result:
        result["time"] = seconds(result.pop("elapsed_ms"))
    message = result.pop("message", None)
    if message:
        lines += [cell(message), ""]
    if result:
        lines += ["| output | value |", "|---|---|"]
        keys = [k for k in FIRST if k in result] + sorted(k for k in result if k not in FIRST)
        for k in keys:
            v = result[k]
            if k == "url" and isinstance(v, str) and v.startswith(("http://", "https://")):
                v = f"[{cell(v)}]({v})"
            else:
                v = cell(v) if v not in ("", None) else "—"
            lines.append(f"| {cell(k)} | {v} |")
        lines.append("")
    if phases:
        lines += ["| phase | time | status |", "|---|---:|---|"]
        for name, ms, status in phases:
            lines.append(f"| {cell(name)} | {seconds(ms)} | {cell(status)} |")
        lines.append("")
    if actions:
        counts = ", ".join(f"{n} {cell(a)}" for a, n in sorted(actions.items()))
        lines += [f"Resources: {counts}.", ""]
    for level, msg in problems:
        lines.append(f"- **{level}**: {cell(msg)}")
    if problems:
        lines.append("")
    outputs = {
        "status": outcome,
        "url": str(result.get("url", "")),
        "release": str(result.get("release", "")),
    }
    return "\n".join(lines) + "\n", outputs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--title", default="craftctl")
    ap.add_argument("--outcome", default="success")
    ap.add_argument("events")
    args = ap.parse_args()
    text, outputs = summarize(read_events(args.events), args.title, args.outcome)
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    out = os.environ.get("GITHUB_OUTPUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            for k, v in outputs.items():
                f.write(f"{k}={cell(v)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
