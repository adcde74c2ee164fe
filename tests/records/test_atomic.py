"""Atomic writes give files the usual mode (0666 less the umask), not mkstemp's private 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bench.records import atomic_write_json
from bench.records.atomic import atomic_write_bytes


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_mode_follows_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        atomic_write_json(tmp_path / "r.json", {"a": 1})
        atomic_write_bytes(tmp_path / "t.csv", b"a,b\n")
        atomic_write_bytes(tmp_path / "t.csv", b"a,b\n1,2\n")  # replacing keeps the same rule
    finally:
        os.umask(old)
    for name in ("r.json", "t.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left
