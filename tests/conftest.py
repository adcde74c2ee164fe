"""Shared fixtures. Tests run on the CPU with a fixed thread count (bitwise results depend on it).

Also: a toy baselines folder and a `judge` helper for the verdict and report tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from bench.baselines import Baselines
from bench.records import RunRecord, build_tier_view
from bench.verdicts import Verdict, evaluate
from tests.fakes import fake_records, toy_suite

torch.set_num_threads(int(os.environ.get("PRS_BENCH_TEST_THREADS", "2")))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def suites_dir() -> Path:
    return REPO / "suites"


REPORTED = """
[toy-single]
value = 70.0
metric = "test_acc"
dataset = "synthetic"
model = "toy"
recipe = "toy recipe"
source = "test source"
url = "https://example.org/paper"
statistic = "final-epoch"
where = "table 1, row toy"

[toy-spread]
value = 70.0
metric = "test_acc"
dataset = "synthetic"
model = "toy"
recipe = "toy recipe"
source = "test source"
url = "https://example.org/paper"
statistic = "final-epoch"
where = "table 2"
spread = 0.5

[toy-spread-n]
value = 70.0
metric = "test_acc"
dataset = "synthetic"
model = "toy"
recipe = "toy recipe"
source = "test source"
url = "https://example.org/paper"
statistic = "final-epoch"
where = "table 2"
spread = 0.5
n = 4

[toy-cifar]
value = 75.0
metric = "test_acc"
dataset = "cifar100"
model = "toy"
recipe = "toy recipe"
source = "test source"
url = "https://example.org/paper"
statistic = "final-epoch"
where = "table 3"
"""


@pytest.fixture
def baselines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Baselines:
    """A baselines folder with toy entries; also the default, so suites validate against it on load."""
    root = tmp_path / "baselines"
    root.mkdir()
    (root / "reported.toml").write_text(REPORTED)
    monkeypatch.setenv("PRS_BENCH_BASELINES", str(root))
    return Baselines(root)


@pytest.fixture
def judge(tmp_path: Path, baselines: Baselines) -> Callable[..., list[Verdict]]:
    """judge(checks_toml, values, fractions=..., seeds=..., arms=..., device=..., extra=...) -> verdicts."""

    def run(
        checks: str,
        values: dict[tuple[str, float], list[float]],
        fractions=(1.0,),
        seeds=(0, 1, 2),
        arms=("resnet", "vit"),
        device: str = "cpu (x86_64)",
        metric: str = "test_acc",
        extra: dict[Any, Any] | None = None,
        analysis: dict[Any, Any] | None = None,
        records: list[RunRecord] | None = None,
    ) -> list[Verdict]:
        suite = toy_suite(tmp_path / "suites", checks, fractions=fractions, seeds=seeds, arms=arms)
        recs = fake_records(suite, "quick", values, device=device, metric=metric, extra=extra, analysis=analysis)
        return evaluate(build_tier_view(suite, "quick", recs + (records or [])), baselines)

    return run
