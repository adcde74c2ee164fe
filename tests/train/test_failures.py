"""NaN/inf losses end a run as failed with a clear message; Ctrl-C leaves a resumable checkpoint."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn as nn

from bench.data.types import DataBundle
from bench.models import MODELS, create_model
from bench.records import RecordStore
from bench.runner import run_all
from bench.suite.hashing import content_hash
from bench.suite.plan import RunSpec
from bench.train import RunContext, train_run
from bench.train.checkpoint import decode, encode, list_checkpoints
from bench.train.final import WEIGHTS, read_final
from bench.train.progress import Interrupted

CPU = torch.device("cpu")


class BlowsUp(nn.Module):
    """A linear classifier whose logits become ``value`` from its ``at``-th training forward on."""

    def __init__(self, num_classes: int, at: int = 3, value: float = float("nan")) -> None:
        super().__init__()
        self.fc = nn.Linear(3 * 32 * 32, num_classes)
        self.at, self.value, self.calls = at, value, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fc(x.flatten(1))
        if self.training:
            self.calls += 1
            if self.calls >= self.at:
                out = out * self.value
        return out


def register(name: str, factory: Callable[..., nn.Module]) -> str:
    if name not in MODELS:
        MODELS.register(name)(factory)
    return name


@pytest.mark.parametrize("value, word", [(float("nan"), "nan"), (float("inf"), "inf")])
def test_nonfinite_loss_fails_the_run(
    config: Callable[..., dict], tiny_data: DataBundle, value: float, word: str, tmp_path: Path
) -> None:
    name = register(f"blows_up_{word}", lambda num_classes, **kw: BlowsUp(num_classes, value=value))
    result = train_run(RunSpec.adhoc(config(name), 0), tiny_data, RunContext(CPU, run_dir=tmp_path))
    assert result.status == "failed" and not result.metrics
    assert re.match(r"loss became (nan|inf|-inf) at epoch 1 step 3 \(global step 3", result.error), result.error
    assert not (tmp_path / WEIGHTS).exists()


def test_failed_run_gets_a_failed_record(config: Callable[..., dict], tmp_path: Path) -> None:
    name = register("blows_up_nan", lambda num_classes, **kw: BlowsUp(num_classes))
    cfg = config(name)
    spec = RunSpec(
        "s", 1, "smoke", "arm", 0, "synthetic-f1", cfg, content_hash({"suite": "s", "version": 1, "config": cfg})
    )
    store = RecordStore(tmp_path)
    summary = run_all([spec], store, CPU, progress=False)
    rec = store.read(spec.relpath)
    assert (
        summary.failed == [spec.run_id]
        and rec is not None
        and rec.status == "failed"
        and "loss became nan" in str(rec.error)
    )
    assert not list_checkpoints(store.run_dir(spec.relpath))


def interrupting(base: str, at_call: int) -> Callable[..., nn.Module]:
    """``base`` with a hook that sends this process SIGINT on the ``at_call``-th training forward."""

    def factory(num_classes: int, **kw: Any) -> nn.Module:
        model = create_model(base, num_classes=num_classes, **kw)
        calls = [0]

        def hook(mod: nn.Module, inp: Any) -> None:
            if mod.training:
                calls[0] += 1
                if calls[0] == at_call:
                    os.kill(os.getpid(), signal.SIGINT)

        model.register_forward_pre_hook(hook)
        return model

    return factory


CASES = {
    "plain-adamw": ("vit_tiny", {"kind": "never"}),
    "reparam-prs": ("reparam_vit_cpu_tiny", {"kind": "prs", "first": 0, "last": 1}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_ctrl_c_checkpoints_and_resume_is_exact(
    case: str, config: Callable[..., dict], tiny_data: DataBundle, tmp_path: Path
) -> None:
    base, schedule = CASES[case]
    cfg = config(
        base,
        schedule,
        optimizer="adamw",
        lr=1e-3,
        weight_decay=0.05,
        warmup_epochs=1,
        augment={"crop_pad": 4, "flip": True, "random_erasing": 0.25},
    )
    ref = train_run(RunSpec.adhoc(cfg, 1), tiny_data, RunContext(CPU, run_dir=tmp_path / "ref"))
    name = register(f"interrupt_{base}", interrupting(base, at_call=6))  # epoch 2 (4 steps/epoch), step 2
    cfg_int = {**cfg, "model": {"name": name, "kwargs": {}}}
    with pytest.raises(Interrupted):
        train_run(RunSpec.adhoc(cfg_int, 1, config_hash="h"), tiny_data, RunContext(CPU, run_dir=tmp_path / "cut"))
    newest = decode(list_checkpoints(tmp_path / "cut")[0].read_bytes())
    assert newest["position"] == {"epoch": 1, "step_in_epoch": 2, "global_step": 6, "applied_epoch": 1}
    cut = RunContext(CPU, run_dir=tmp_path / "cut", resume=True)
    got = train_run(RunSpec.adhoc(cfg, 1, config_hash="h"), tiny_data, cut)
    strip = lambda h: [{k: v for k, v in e.items() if k not in ("time_s", "img_per_s")} for e in h]  # noqa: E731
    assert got.status == "complete" and got.metrics == ref.metrics and strip(got.history) == strip(ref.history)
    assert [e for e in got.events if e["event"] == "switch"] == [e for e in ref.events if e["event"] == "switch"]
    a, b = (read_final(tmp_path / d / WEIGHTS).state for d in ("ref", "cut"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_ignores_a_checkpoint_of_another_config(
    config: Callable[..., dict], tiny_data: DataBundle, tmp_path: Path
) -> None:
    cfg = config("resnet_tiny", epochs=1)
    train_run(RunSpec.adhoc(cfg, 0, config_hash="old"), tiny_data, RunContext(CPU, run_dir=tmp_path))
    messages: list[str] = []
    ctx = RunContext(CPU, run_dir=tmp_path, resume=True, log=messages.append)
    result = train_run(RunSpec.adhoc(cfg, 0, config_hash="new"), tiny_data, ctx)
    assert result.status == "complete" and any("another config" in m for m in messages)


OLD_SUITE = """
name = "old"
version = 1
title = "a suite whose file did not change across a prs-bench update"
changelog = ["v1: test fixture"]
[recipes.adamw]
optimizer = "adamw"
lr = 1e-3
[arms.prs]
model = "reparam_vit_cpu_tiny"
recipe = "adamw"
schedule = { kind = "prs", first = 0, last = 1 }
[tiers.smoke]
data = { source = "synthetic", num_classes = 10, n_train = 64, n_test = 32 }
epochs = 3
batch_size = 16
seeds = [0]
"""


def test_resume_refuses_a_checkpoint_without_this_codes_keys(
    tiny_data: DataBundle, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A checkpoint from before switched layers carried a learned soft share (suite v5) whose config hash
    still matches (the suite file kept name, version and content) is refused in one line naming it,
    exit 2; the checkpoint and the run folder are left as they were."""
    from bench.cli import main
    from bench.suite import load_suite, plan_runs

    sd, out = tmp_path / "suites", tmp_path / "results"
    sd.mkdir()
    (sd / "old.toml").write_text(OLD_SUITE)
    [spec] = plan_runs(load_suite(sd / "old.toml"), "smoke")
    run_dir = RecordStore(out).run_dir(spec.relpath)
    cut = {**spec.config, "recipe": {**spec.config["recipe"], "epochs": 2}}  # 2 of 3 epochs: checkpoints, no record
    train_run(RunSpec.adhoc(cut, 0, config_hash=spec.config_hash), tiny_data, RunContext(CPU, run_dir=run_dir))
    paths = list_checkpoints(run_dir)
    for p in paths:  # as the code before suite v5 wrote them: no soft share
        state = decode(p.read_bytes())
        dropped = [k for k in state["model"] if k.endswith(".attn.soft")]
        assert len(dropped) == state["reparam"]["phases"].count("attention") > 0
        for k in dropped:
            del state["model"][k]
        p.write_bytes(encode({k: v for k, v in state.items() if k != "format"}))
    path = paths[0]  # the newest: all 4 layers switched
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}

    argv = ["run", "--suites-dir", str(sd), "--out", str(out), "--device", "cpu", "--resume"]
    assert main(argv) == 2
    *progress, line = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("prs-bench: error: checkpoint ") and str(path) in line, line
    assert "lacks 4 key(s) of this model" in line and "rerun without --resume" in line
    assert all(not ln.startswith(("Traceback", "prs-bench: error")) for ln in progress), progress
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before  # nothing lost or added
    assert not (out / "runs").exists() or not list((out / "runs").rglob("*.json"))  # no record written


def test_cli_maps_interrupt_to_130(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, suites_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    from bench.cli import main
    from bench.train import core

    def stop(self: Any, flag: Any) -> None:
        raise Interrupted("stopped")

    monkeypatch.setattr(core.Run, "run_epoch", stop)  # in this process: no side-by-side worker processes
    assert (
        main(
            [
                "run",
                "data-scale",
                "--out",
                str(tmp_path),
                "--device",
                "cpu",
                "--seeds",
                "1",
                "--parallel",
                "1",
                "--suites-dir",
                str(suites_dir),
            ]
        )
        == 130
    )
    assert "--resume" in capsys.readouterr().err
