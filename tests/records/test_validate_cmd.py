"""``prs-bench validate``: 0 when every record is good, 1 and one line per bad record, 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main

from .test_store import _stored


def test_good_folder_and_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, p = _stored(tmp_path / "results")
    assert main(["validate", str(tmp_path / "results")]) == 0
    assert main(["validate", str(p)]) == 0
    assert "1 record(s) checked: 1 good, 0 bad" in capsys.readouterr().err


def test_corrupted_record_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, p = _stored(tmp_path / "results")
    raw = json.loads(p.read_text())
    raw["metrics"]["test_acc"] = 97.5
    p.write_text(json.dumps(raw))
    p.with_name("seed1.json").write_text("{")
    assert main(["validate", str(tmp_path / "results")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith(f"{p}: content does not match its digest")
    assert out[1].startswith(f"{p.with_name('seed1.json')}: unreadable run record")


def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert main(["validate", str(tmp_path)]) == 2  # an empty folder holds no records
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "no such results folder" in err[0] and "no run records" in err[1]
