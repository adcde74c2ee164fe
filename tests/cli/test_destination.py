"""A run whose record path is taken by a folder (or FIFO, or link) stops before training, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.suite import plan_runs

from ..fakes import toy_suite


def test_a_folder_where_the_record_goes_stops_the_run_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = toy_suite(tmp_path / "suites", tier="quick")
    spec = plan_runs(suite, "quick")[0]
    blocked = tmp_path / "out" / "runs" / spec.relpath
    blocked.mkdir(parents=True)
    argv = ["run", "toy", "--tier", "quick", "--suites-dir", str(tmp_path / "suites"), "--out", str(tmp_path / "out")]
    assert main([*argv, "--device", "cpu", "--parallel", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{blocked}: a folder, where this run's record goes; move it away" in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "work").exists()  # nothing trained
