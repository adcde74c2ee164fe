"""Precision, compile, world size and device type are part of "is this run done" and of pooling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from bench.errors import BenchError
from bench.records import RecordStore, build_tier_view
from bench.report import build_tables, tier_reports
from bench.runner import run_all
from bench.suite import RunSpec, plan_runs
from bench.train import CoreOptions, RunContext, TrainResult
from bench.train.engine import resolve_options, runtime_of
from bench.verdicts import evaluate
from tests.fakes import check_toml, toy_suite

CPU = torch.device("cpu")


class Trainer:
    """Stands in for train_run: counts calls, returns a complete result."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, spec: RunSpec, data: Any, ctx: RunContext) -> TrainResult:
        model, seed = spec.config["model"]["name"], spec.seed
        self.calls.append((model, seed))
        acc = 60.0 + seed if model == "vit_tiny" else 50.0 + seed
        return TrainResult(
            "complete",
            metrics={"test_acc": acc, "test_loss": 1.0, "train_loss": 1.0, "train_acc": 50.0, "num_classes": 10},
            history=[{"epoch": 1, "train_loss": 1.0, "test_acc": acc}],
        )


def test_runtime_resolves_from_the_options() -> None:
    rt = runtime_of(resolve_options(CoreOptions(precision="bf16"), CPU), CPU, 1)
    assert rt == {"device_type": "cpu", "precision": "bf16", "compile": False, "world_size": 1}
    gpu_defaults = resolve_options(CoreOptions(defaults="cuda"), CPU)
    assert (gpu_defaults.compile, gpu_defaults.precision, gpu_defaults.channels_last, gpu_defaults.fused) == (
        True,
        "bf16",
        True,
        True,
    )


def test_fp32_rerun_after_bf16_is_not_skipped_and_not_pooled(tmp_path: Path, baselines: Any, capsys: Any) -> None:
    suite = toy_suite(tmp_path / "suites", check_toml("order", a="vit", b="resnet"))
    store, trainer = RecordStore(tmp_path / "out"), Trainer()
    bf16, fp32 = CoreOptions(precision="bf16"), CoreOptions(precision="fp32")
    specs = plan_runs(suite, "quick")

    summary = run_all(specs, store, CPU, trainer=trainer, options=bf16, progress=False)
    assert len(summary.ran) == len(specs) and not summary.skipped
    assert run_all(specs, store, CPU, trainer=trainer, options=bf16, progress=False).skipped == [
        s.run_id for s in specs
    ]  # same runtime: done
    assert {r.runtime["precision"] for r in store.all() if r.runtime} == {"bf16"}
    assert (
        store.status(specs[0].relpath, specs[0].config_hash, runtime_of(resolve_options(fp32, CPU), CPU, 1)) == "stale"
    )

    seed0 = [s for s in specs if s.seed == 0]
    calls = len(trainer.calls)
    # fp32 after bf16: not done, and not silently put in the bf16 record's place: refused before training
    with pytest.raises(
        BenchError, match=r"made with bf16, eager, 1 rank\(s\) on cpu; this command trains it with fp32"
    ):
        run_all(seed0, store, CPU, trainer=trainer, options=fp32, progress=False)
    assert len(trainer.calls) == calls
    capsys.readouterr()
    again = run_all(seed0, store, CPU, trainer=trainer, options=fp32, progress=False, rerun=True)
    assert not again.skipped and len(again.ran) == len(seed0)
    assert len(trainer.calls) == calls + len(seed0)
    assert capsys.readouterr().err.count("archived the earlier record") == len(seed0)  # announced
    records = store.all()
    assert sorted(r.runtime["precision"] for r in records if r.seed == 0 and r.runtime) == ["fp32", "fp32"]
    assert {r.runtime["precision"] for r in records if r.seed != 0 and r.runtime} == {"bf16"}
    assert len(list((tmp_path / "out" / "archive").rglob("*.json"))) == len(seed0)  # bf16 kept, archived

    # not pooled: the verdict refuses to mix runtimes, the leaderboard keeps them in separate rows
    [verdict] = evaluate(build_tier_view(suite, "quick", records), baselines)
    assert verdict.status == "inconclusive" and "never mixes" in verdict.detail
    arm_rows, _ = build_tables(tier_reports([suite], records, baselines=baselines))
    vit = sorted((row.n, row.device) for row in arm_rows if row.arm == "vit")
    assert [n for n, _ in vit] == [1, 2]
    assert "fp32" in vit[0][1] and "bf16" in vit[1][1]
