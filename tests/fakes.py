"""Fake run records with the real record schema, for tests and for trying checks without training.

``toy_suite`` writes a small, valid suite file; ``fake_records`` turns per-(arm, fraction) value
lists into complete records whose config hashes match that suite's plan, so ``evaluate`` and the
leaderboard see them exactly as they would see stored results.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.records import RunRecord, make_record
from bench.records.metrics import TEST_ACC, TEST_LOSS, TRAIN_LOSS
from bench.suite import Suite, plan_runs
from bench.suite_check import load_checked_suite
from bench.train.types import TrainResult

ARMS = {
    "resnet": "resnet_tiny",
    "vit": "vit_tiny",
    "convit": "vit_tiny",
    "deit": "vit_tiny",
    "e0": "vit_tiny",
    "e2": "vit_tiny",
    "e4": "vit_tiny",
    "never": "resnet_tiny",
}


def toy_suite(
    folder: Path,
    checks: str = "",
    name: str = "toy",
    version: int = 1,
    tier: str = "quick",
    fractions: tuple[float, ...] = (1.0,),
    seeds: tuple[int, ...] = (0, 1, 2),
    arms: tuple[str, ...] = ("resnet", "vit"),
    source: str = "synthetic",
) -> Suite:
    """Write ``folder/NAME.toml`` with the given arms, one tier, and the given check tables; load it."""
    lines = [
        f'name = "{name}"',
        f"version = {version}",
        'title = "toy suite for tests"',
        'claims = ["C1"]',
        'changelog = ["v1: test"]',
        "",
        "[recipes.r]",
        'optimizer = "sgd"',
        "lr = 0.05",
        "",
    ]
    for arm in arms:
        lines += [
            f"[arms.{arm}]",
            f'model = "{ARMS.get(arm, "resnet_tiny")}"',
            'recipe = "r"',
            f'label = "{arm.upper()}"',
            "",
        ]
    fr = ", ".join(f"{f:g}" for f in fractions)
    lines += [
        f"[tiers.{tier}]",
        f'data = {{ source = "{source}", num_classes = 10, n_train = 200, n_test = 100 }}',
        "epochs = 2",
        "batch_size = 32",
        f"seeds = [{', '.join(map(str, seeds))}]",
        f"fractions = [{fr}]",
        "",
    ]
    lines.append(checks.replace("TIER", tier))
    path = Path(folder) / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_checked_suite(path)


def fake_records(
    suite: Suite,
    tier: str,
    values: dict[tuple[str, float], list[float]],
    device: str = "cpu (x86_64)",
    metric: str = TEST_ACC,
    extra: dict[tuple[str, float], list[dict[str, Any]]] | None = None,
    analysis: dict[tuple[str, float], list[dict[str, Any]]] | None = None,
) -> list[RunRecord]:
    """Records (``make_record``, as the runner makes them) for ``values[(arm, fraction)][i]`` =
    metric of seed index i (seeds in plan order); ``extra`` adds metrics and ``analysis`` sets the
    record's analysis, per seed index."""
    out = []
    specs = plan_runs(suite, tier)
    for (arm, fraction), vals in values.items():
        mine = [s for s in specs if s.arm == arm and abs(s.config["data"]["fraction"] - fraction) < 1e-12]
        if not mine:
            raise KeyError(f"no planned runs for {arm} @ {fraction}")
        for i, (spec, v) in enumerate(zip(mine, vals)):
            metrics: dict[str, Any] = {TEST_ACC: 50.0, TEST_LOSS: 1.0, TRAIN_LOSS: 1.0, "num_classes": 10}
            metrics[metric] = v
            if extra and (arm, fraction) in extra:
                metrics.update(extra[(arm, fraction)][i])
            history = [
                {
                    "epoch": e + 1,
                    "train_loss": 2.0 - 0.5 * e,
                    "train_acc": 30.0 + 10 * e,
                    "test_loss": 2.0 - 0.4 * e,
                    "test_acc": float(v) - 5.0 * (1 - e) if v == v else v,
                    "lr": 0.05,
                }
                for e in range(2)
            ]
            result = TrainResult("complete", metrics=metrics, history=history)
            provenance = {"device_name": device, "packages": {"torch": "x"}, "git": {"commit": None}}
            rec = make_record(spec, result, provenance, 1.0, {})
            out.append(
                replace(
                    rec,
                    created=f"2026-11-25T00:00:0{i}",
                    analysis=analysis[(arm, fraction)][i] if analysis and (arm, fraction) in analysis else None,
                )
            )
    return out


def check_toml(kind: str, **params: Any) -> str:
    """One ``[[tiers.TIER.checks]]`` table as TOML text (``toy_suite`` fills in the tier)."""

    def lit(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        return repr(v)

    body = "\n".join(f"{k} = {lit(v)}" for k, v in params.items())
    return f'[[tiers.TIER.checks]]\nkind = "{kind}"\n{body}\n'
