"""The repository is self-contained: nothing points outside it, and the docs' links resolve.

A reader has the repository and nothing else, so a file that names a path on the machine it was
written on (or notes kept next to the checkout) cites something the reader cannot open.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Paths that exist only on the machine a file was written on: notes beside the checkout, home
# folders, scratch space. (/opt/prs-bench/... in docs/CI.md is a documented default, not one.)
OUTSIDE = re.compile(
    r"\.\./shared\b"
    r"|(?<![\w.~-])/(?:work|home|Users|root|mnt|scratch)/"
    r"|/tmp/bash_jobs"
    r"|[A-Za-z]:\\Users\\"
)
MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SECTION_REF = re.compile(r"METHOD\.md\)? sections? (\d+)(?:-(\d+))?")


def repo_files() -> list[str]:
    """Tracked files plus new files git does not ignore; every file under ROOT if git is absent."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        return sorted({p for p in out.decode().split("\0") if p and (ROOT / p).is_file()})
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".nox", ".venv", "results", "__pycache__", ".pytest_cache", ".mypy_cache"}
        return sorted(
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
        )


def text(path: str) -> str | None:
    try:
        return (ROOT / path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # images and other binaries


def markdown_files() -> list[str]:
    return [p for p in repo_files() if p.endswith(".md")]


def test_no_file_points_outside_the_repository() -> None:
    hits = []
    for path in repo_files():
        body = text(path)
        if path == THIS or body is None:
            continue
        for n, line in enumerate(body.splitlines(), 1):
            m = OUTSIDE.search(line)
            if m:
                hits.append(f"{path}:{n}: {m.group(0)!r} in {line.strip()[:100]}")
    assert not hits, "files point outside the repository (use docs/ instead):\n" + "\n".join(hits)


def test_the_check_catches_outside_paths() -> None:
    for bad in ("see ../shared/reference/METHOD.md", "from /work/shared/x", "/home/alice/data", "C:\\Users\\bob\\x"):
        assert OUTSIDE.search(bad), bad
    for fine in ("docs/METHOD.md section 3", "/opt/prs-bench/venv", "results/runs/x", "a/work/b"):
        assert not OUTSIDE.search(fine), fine


@pytest.mark.parametrize("path", markdown_files())
def test_relative_links_resolve(path: str) -> None:
    body = text(path) or ""
    body = re.sub(r"```.*?```", "", body, flags=re.DOTALL)  # code blocks hold commands, not links
    broken = []
    for target in MD_LINK.findall(body):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor in the same page
        file_part = target.split("#", 1)[0]
        if not (ROOT / path).parent.joinpath(file_part).resolve().exists():
            broken.append(target)
    assert not broken, f"{path}: links to missing files: {broken}"


def test_method_sections_cited_exist() -> None:
    """ "docs/METHOD.md section N" anywhere in the repo names a numbered section that exists."""
    method = (ROOT / "docs" / "METHOD.md").read_text(encoding="utf-8")
    have = {int(n) for n in re.findall(r"^## (\d+)\. ", method, flags=re.MULTILINE)}
    assert have >= set(range(1, 8)), f"docs/METHOD.md must keep sections 1-7, has {sorted(have)}"
    missing = []
    for path in repo_files():
        body = text(path)
        if body is None or path == THIS:
            continue
        for m in SECTION_REF.finditer(body):
            lo = int(m.group(1))
            hi = int(m.group(2) or lo)
            missing += [f"{path}: section {n}" for n in range(lo, hi + 1) if n not in have]
    assert not missing, "cited sections absent from docs/METHOD.md:\n" + "\n".join(missing)


def test_method_and_sources_are_cited_where_a_reader_finds_them() -> None:
    """``METHOD.md``/``SOURCES.md`` alone names no file a reader can find: outside docs/ write
    docs/METHOD.md; inside docs/ link it ([METHOD.md](METHOD.md))."""
    bare = []
    for path in repo_files():
        body = text(path)
        if body is None or path == THIS:
            continue
        for m in re.finditer(r"(?:METHOD|SOURCES)\.md", body):
            before = body[max(0, m.start() - 5) : m.start()]
            if before.endswith(("docs/", "[", "](")):
                continue
            line = body.count("\n", 0, m.start()) + 1
            bare.append(f"{path}:{line}: {body.splitlines()[line - 1].strip()[:100]}")
    assert not bare, "write docs/METHOD.md (docs/SOURCES.md), or link it inside docs/:\n" + "\n".join(bare)
