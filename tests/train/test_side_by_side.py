"""Runs trained side by side (worker processes, one thread each) give the records a sequential run gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bench.records import RecordStore
from bench.runner import run_all, side_by_side
from bench.suite import load_suite, plan_runs
from bench.train.distributed import DistInfo

from .test_shard_launch import TINY_SUITE

CPU = torch.device("cpu")


def test_side_by_side_default_is_one_per_core_on_cpu_only() -> None:
    assert side_by_side(CPU, DistInfo(), runs=50, parallel=None) >= 1
    assert side_by_side(CPU, DistInfo(), runs=1, parallel=None) == 1
    assert side_by_side(torch.device("cuda"), DistInfo(), runs=50, parallel=None) == 1
    assert side_by_side(CPU, DistInfo(), runs=3, parallel=8) == 3


@pytest.mark.slow
def test_parallel_records_equal_sequential(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY_SUITE)
    specs = plan_runs(load_suite(tmp_path / "tiny.toml"), "smoke")
    assert len(specs) == 4
    seq, par = RecordStore(tmp_path / "seq"), RecordStore(tmp_path / "par")
    assert len(run_all(specs, seq, CPU, progress=False, parallel=1).ran) == 4  # this process: 1 thread
    summary = run_all(specs, par, CPU, progress=False, parallel=2)
    assert sorted(summary.ran) == sorted(s.run_id for s in specs) and not summary.failed
    for spec in specs:
        a, b = seq.read(spec.relpath), par.read(spec.relpath)
        assert a is not None and b is not None
        assert a.metrics == b.metrics and a.runtime == b.runtime
        assert [h["train_loss"] for h in a.history] == [h["train_loss"] for h in b.history]
