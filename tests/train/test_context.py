"""RunContext: how a run executes, separate from what it computes (the RunSpec)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from bench.train import CoreOptions, RunContext
from bench.train.distributed import DistInfo


def test_defaults_are_a_single_process_that_writes_nothing() -> None:
    ctx = RunContext(torch.device("cpu"))
    assert ctx.run_dir is None and not ctx.resume and not ctx.progress
    assert ctx.options == CoreOptions() and ctx.dist == DistInfo()


def test_a_str_run_dir_becomes_a_path_and_the_context_is_frozen(tmp_path: Path) -> None:
    ctx = RunContext(torch.device("cpu"), run_dir=str(tmp_path))  # type: ignore[arg-type]
    assert ctx.run_dir == tmp_path
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.resume = True  # type: ignore[misc]
