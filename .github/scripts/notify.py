#!/usr/bin/python3
"""Posts the outcome of a deploy or destroy to DEPLOY_WEBHOOK_URL.

Does nothing when that secret is not set. The body is JSON with a "text"
line (what Slack, Mattermost and Teams incoming webhooks show) and the
details as fields. A webhook that fails gives a ::warning::, never a red
deploy: the deploy's own status is what counts.

Environment: DEPLOY_WEBHOOK_URL, OUTCOME (success|failure|cancelled),
ACTION (deploy|destroy, default deploy), DEPLOY_URL, RELEASE, STACK_FILE,
and GitHub's GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_SHA.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request


def body(env):
    outcome = env.get("OUTCOME") or "unknown"
    action = env.get("ACTION") or "deploy"
    repo = env.get("GITHUB_REPOSITORY", "")
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    run_url = f"{server}/{repo}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    stack_file = env.get("STACK_FILE") or "craftctl.yaml"
    text = f"{action} of {repo} ({stack_file}): {outcome}"
    if env.get("DEPLOY_URL"):
        text += f" - {env['DEPLOY_URL']}"
    if env.get("RELEASE"):
        text += f" (release {env['RELEASE']})"
    text += f" - {run_url}"
    return {
        "text": text,
        "action": action,
        "outcome": outcome,
        "repository": repo,
        "stack_file": stack_file,
        "url": env.get("DEPLOY_URL", ""),
        "release": env.get("RELEASE", ""),
        "commit": env.get("GITHUB_SHA", ""),
        "run_url": run_url,
    }


def post(url, payload, tries=3, timeout=15):
    data = json.dumps(payload).encode()
    last = None
    for attempt in range(tries):
        req = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                if 200 <= resp.status < 300:
                    return None
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
            if 400 <= e.code < 500 and e.code != 429:
                break
        except (urllib.error.URLError, OSError, ValueError) as e:
            last = str(getattr(e, "reason", e))
        if attempt + 1 < tries:
            time.sleep(2**attempt)
    return last


def main():
    url = os.environ.get("DEPLOY_WEBHOOK_URL", "").strip()
    if not url:
        print("no DEPLOY_WEBHOOK_URL secret: no notification")
        return 0
    payload = body(os.environ)
    problem = post(url, payload)
    if problem:
        # Never echo the URL: it is a secret.
        print(f"::warning title=notify::the deploy webhook did not accept the notification ({problem})")
    else:
        print(f"notified the deploy webhook ({payload['outcome']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
