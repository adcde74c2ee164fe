"""Find the newest accepted results: the artifact that gpu-regression uploads when its gate passed
on main. Prints ``run-id=ID`` (or ``run-id=`` when there is none) for $GITHUB_OUTPUT.

    python .github/scripts/last_accepted.py prs-bench-accepted-quick [main] >> "$GITHUB_OUTPUT"

Reads GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_TOKEN (which needs ``actions: read``).
Standard library only: it runs before anything else is known to work.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from typing import Any


def pick(artifacts: list[dict[str, Any]], name: str, branch: str) -> dict[str, Any] | None:
    """The newest unexpired artifact called ``name`` from a run on ``branch``."""
    ok = [
        a
        for a in artifacts
        if a.get("name") == name and not a.get("expired") and (a.get("workflow_run") or {}).get("head_branch") == branch
    ]
    return max(ok, key=lambda a: a.get("created_at") or "", default=None)


def list_artifacts(name: str) -> list[dict[str, Any]]:
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    url = f"{api}/repos/{os.environ['GITHUB_REPOSITORY']}/actions/artifacts?" + urllib.parse.urlencode(
        {"name": name, "per_page": 100}
    )
    req = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}", "Accept": "application/vnd.github+json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return list(json.load(resp).get("artifacts", []))


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: last_accepted.py ARTIFACT_NAME [BRANCH]", file=sys.stderr)
        return 2
    name, branch = argv[1], argv[2] if len(argv) == 3 else "main"
    found = pick(list_artifacts(name), name, branch)
    if found is None:
        print(f"no accepted results named {name!r} on {branch} (first run, or expired)", file=sys.stderr)
    else:
        run = found["workflow_run"]
        print(
            f"accepted results: run {run['id']} at {str(run.get('head_sha', '?'))[:12]}, "
            f"artifact {found['id']} from {found.get('created_at')}",
            file=sys.stderr,
        )
    print(f"run-id={'' if found is None else found['workflow_run']['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
