"""Runs trained side by side (worker processes, one thread each) give the records a sequential run gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

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


@pytest.mark.slow
def test_equal_trainings_of_two_suites_train_once(tmp_path: Path) -> None:
    """Two suites whose runs train alike (config without analysis, seed): one training, two records
    with equal outcomes, each with its own final weights; the reusing record names the run trained."""
    from bench.train import train_run
    from bench.train.final import read_final

    calls: list[str] = []

    def counting(spec: Any, data: Any, ctx: Any) -> Any:
        calls.append(spec.run_id)
        return train_run(spec, data, ctx)

    one, two = tmp_path / "tiny.toml", tmp_path / "tiny2.toml"
    one.write_text(TINY_SUITE)
    two.write_text(TINY_SUITE.replace('name = "tiny"', 'name = "tiny2"'))
    specs = [s for p in (one, two) for s in plan_runs(load_suite(p), "smoke", arms=["a"], seeds=[0])]
    assert len(specs) == 2 and specs[0].config_hash != specs[1].config_hash
    store = RecordStore(tmp_path / "out")
    summary = run_all(specs, store, CPU, progress=False, trainer=counting)
    assert sorted(summary.ran) == sorted(s.run_id for s in specs)
    assert calls == [specs[0].run_id]
    a, b = (store.read(s.relpath) for s in specs)
    assert a is not None and b is not None
    assert a.metrics == b.metrics and a.history == b.history and a.wall_time_s == b.wall_time_s
    assert "shared_training" not in a.provenance
    assert b.provenance["shared_training"] == specs[0].run_id
    weights = [read_final(store.run_dir(s.relpath) / "final.safetensors") for s in specs]
    assert [w.config_hash for w in weights] == [s.config_hash for s in specs]
    assert all(torch.equal(weights[0].state[k], weights[1].state[k]) for k in weights[0].state)


def test_training_key_ignores_what_training_never_reads(tmp_path: Path) -> None:
    """A step schedule's milestones under a cosine schedule, and subset options at fraction 1, do not
    change what trains; the same keys where they are read do."""
    from bench.train.sharing import training_key

    (tmp_path / "tiny.toml").write_text(TINY_SUITE)
    spec = plan_runs(load_suite(tmp_path / "tiny.toml"), "smoke", arms=["a"], seeds=[0])[0]

    def key(recipe: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> str:
        config = {**spec.config, "recipe": {**spec.config["recipe"], **(recipe or {})}}
        config["data"] = {**spec.config["data"], **(data or {})}
        return training_key(replace(spec, config=config))

    base = key({"lr_schedule": "cosine"})
    assert key({"lr_schedule": "cosine", "lr_milestones": [60, 120], "lr_gamma": 0.2}) == base
    assert key({"lr_schedule": "step", "lr_milestones": [1]}) != key({"lr_schedule": "step", "lr_milestones": [2]})
    assert key(data={"fraction": 1.0, "subset_seed": 7}) == key(data={"fraction": 1.0})
    assert key(data={"fraction": 0.5, "subset_seed": 7}) != key(data={"fraction": 0.5, "subset_seed": 0})
    assert key({"lr": 0.5}) != key({"lr": 0.25})


def test_shipped_smoke_tiers_share_their_equal_trainings() -> None:
    """The three shipped smoke tiers plan 28 runs (suite v5); equal arms (same model, recipe, data) train once: 19."""
    from bench.suite_check import load_checked_suites
    from bench.train.sharing import training_key

    specs = [s for suite in load_checked_suites() if "smoke" in suite.tiers for s in plan_runs(suite, "smoke")]
    by_key: dict[str, list[str]] = {}
    for s in specs:
        by_key.setdefault(training_key(s), []).append(s.run_id)
    assert len(specs) == 28 and len(by_key) == 19
    shared = {tuple(sorted(r.split("/")[0] + ":" + r.split("/")[3] for r in ids)) for ids in by_key.values()}
    assert ("cifar100-prs:resnet18", "data-scale:resnet", "reparam-interp:resnet") in shared
    assert ("cifar100-prs:uniform", "reparam-interp:e2") in shared
