"""constant-steps: every fraction of a tier takes exactly the same number of optimizer steps.

Step counts come from the plan (``plan_runs``), the data layer's subset rule and the training
core's ``step_plan``; the end-to-end test counts the optimizer's real ``step()`` calls.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from bench.data import load_data
from bench.data.registry import SOURCES
from bench.data.subsets import subset_indices
from bench.launch.cost import estimate
from bench.suite import load_suites, plan_runs
from bench.suite_check import load_checked_suite
from bench.train import RunContext, train_run
from bench.train.distributed import DistInfo
from bench.train.feed import DeviceData, StreamData
from bench.train.recipe import Recipe
from bench.train.steps import StepPlan, step_plan
from tests.fakes import toy_suite

# training labels of the real sources, which these tests do not download: CIFAR-100 has exactly
# 500 images per class; ImageNet's classes hold 732..1300 images (100 such classes here, to keep
# ConViT's sort fast: the property holds for any counts)
LABELS = {
    "cifar100": np.repeat(np.arange(100), 500),
    "imagenet-folder": np.repeat(np.arange(100), np.linspace(732, 1300, 100).astype(int)),
}


def train_sizes(data: dict[str, Any]) -> tuple[int, int]:
    """(images of the run's subset, images of the whole training set), by the source's own subset rule."""
    return _train_sizes(json.dumps(data, sort_keys=True))


@functools.cache
def _train_sizes(data_json: str) -> tuple[int, int]:
    data = json.loads(data_json)
    if data["source"] in ("synthetic", "synthetic-quadrant"):  # built in: generate them
        bundle = load_data(data)
        return len(bundle.train), int(bundle.meta.get("full_train_size", len(bundle.train)))
    if data["source"] == "fashion-mnist":  # 6,000 per class, or the first train_per_class of each
        y = np.repeat(np.arange(10), int(data.get("train_per_class", 6000)))
    else:
        y = LABELS[data["source"]]
    train = SimpleNamespace(y=y, sort_keys=[f"{i:08d}" for i in range(y.size)])
    rule = SOURCES.get(data["source"]).subset_rule
    index = subset_indices(train, float(data["fraction"]), rule, int(data.get("subset_seed", 0)))
    return int(index.size), int(y.size)


def plan_of(config: dict[str, Any]) -> StepPlan:
    return step_plan(Recipe.from_dict(config["recipe"]), *train_sizes(config["data"]))


def constant_steps_tiers(suites_dir: Path) -> list[tuple[Any, str]]:
    return [
        (s, tier)
        for s in load_suites(suites_dir=suites_dir)
        for tier, t in s.tiers.items()
        if s.epoch_rule(tier) == "constant-steps" and len(t.get("fractions", [1.0])) > 1
    ]


def test_every_shipped_constant_steps_tier_takes_equal_steps_at_every_fraction(suites_dir: Path) -> None:
    tiers = constant_steps_tiers(suites_dir)
    assert {(s.name, t) for s, t in tiers} >= {("data-scale", "smoke"), ("data-scale", "full")}
    for suite, tier in tiers:
        for arm in suite.tier_arms(tier):
            runs = {r.data_label: r for r in plan_runs(suite, tier, seeds=[0], arms=[arm])}
            plans = {label: plan_of(r.config) for label, r in runs.items()}
            where = f"{suite.name}/{tier}/{arm}"
            assert len({p.total_steps for p in plans.values()}) == 1, (where, plans)
            # the same schedule in steps: epochs as long, warm-up and switch epochs as written
            assert len({(p.epochs, p.steps_per_epoch) for p in plans.values()}) == 1, (where, plans)
            assert len({str(r.config["schedule"]) for r in runs.values()}) == 1, where
            small = min(plans, key=lambda k: plans[k].steps_per_pass)
            assert plans[small].passes >= max(p.passes for p in plans.values()) - 1e-9  # a subset is seen more often


def test_data_scale_full_tier_takes_what_the_rounding_lost(suites_dir: Path) -> None:
    """The v4 rule trained round(300 / 0.05) = 6000 passes of 4 batches of 512 at f = 0.05: 24000
    steps, 17.5% fewer than the full set's 300 x 97 = 29100. Now every fraction takes 29100."""
    (suite,) = load_suites(["data-scale"], suites_dir)
    (run,) = [r for r in plan_runs(suite, "full", seeds=[0], arms=["deit"]) if r.data_label == "cifar100-f0.05"]
    plan = plan_of(run.config)
    assert (plan.steps_per_pass, plan.steps_per_epoch, plan.total_steps) == (4, 97, 29_100)


def test_constant_epochs_takes_fewer_steps_below_fraction_one(tmp_path: Path) -> None:
    s = toy_suite(tmp_path, fractions=(0.3, 1.0), seeds=(0,), arms=("resnet",))
    steps = {r.data_label: plan_of(r.config).total_steps for r in plan_runs(s, "quick")}
    assert steps == {"synthetic-f0.3": 2 * 1, "synthetic-f1": 2 * 6}  # 60 images: one batch of 32 per pass


def test_the_cost_estimate_counts_the_same_images_at_every_fraction(suites_dir: Path) -> None:
    (suite,) = load_suites(["data-scale"], suites_dir)
    images = {r.data_label: estimate(r.config, "cuda", "bf16").images for r in plan_runs(suite, "full", [0], ["deit"])}
    assert set(images.values()) == {29_100 * 512}, images


def steps_taken(spec: Any) -> tuple[int, dict[str, Any]]:
    """Train ``spec`` for real on the CPU; (optimizer.step() calls, the result's metrics and history)."""
    calls = []
    handle = register_optimizer_step_post_hook(lambda opt, args, kwargs: calls.append(1))
    try:
        result = train_run(spec, load_data(spec.config["data"]), RunContext(torch.device("cpu"), log=lambda m: None))
    finally:
        handle.remove()
    assert result.status == "complete", result.error
    return len(calls), {"metrics": result.metrics, "history": result.history}


def test_a_tiny_training_takes_equal_steps_at_two_fractions(tmp_path: Path) -> None:
    """40 images at batch 8 for 2 epochs: 10 steps; half of them (20 images, 2 batches per pass)
    took 8 under the v4 rule (round(2 / 0.5) passes), and now take 10 as well."""
    s = toy_suite(tmp_path, fractions=(0.5, 1.0), seeds=(0,), arms=("resnet",))
    text = s.path.read_text().replace("n_train = 200, n_test = 100", "n_train = 40, n_test = 20")
    text = text.replace("batch_size = 32\n", 'batch_size = 8\nepoch_rule = "constant-steps"\n')
    s.path.write_text(text + "[tiers.quick.recipe]\nwarmup_epochs = 1\naugment = { crop_pad = 0 }\n")
    s = load_checked_suite(s.path)
    taken = {r.data_label: steps_taken(r) for r in plan_runs(s, "quick")}
    assert {label: calls for label, (calls, _) in taken.items()} == {"synthetic-f0.5": 10, "synthetic-f1": 10}
    for calls, out in taken.values():
        assert out["metrics"]["steps"] == calls and out["metrics"]["epochs"] == 2
        assert [h["steps"] for h in out["history"]] == [5, 10]  # each epoch is the full set's 5 steps


@pytest.mark.parametrize("epoch_steps", [None, 7])
def test_batches_are_a_function_of_the_step_so_a_resume_replays_them(epoch_steps: int | None) -> None:
    """Mid-epoch starts replay the tail of the epoch; the streaming sampler draws the same batches;
    a subset's passes run on across epoch ends (7 steps an epoch from 3-batch passes)."""
    n, batch, seed, dist = 20, 6, 3, DistInfo()
    x = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 2, 2, 3).contiguous()
    from bench.data.types import ImageArrays

    arrays = ImageArrays(x.numpy(), np.arange(n, dtype=np.int64))
    dev = DeviceData.from_arrays(arrays, torch.device("cpu"))
    stream = StreamData(
        [(x[i].permute(2, 0, 1), i) for i in range(n)], torch.device("cpu"), seed, batch, dist, workers=0
    )

    def ys(feed: Any, epoch: int, start: int) -> list[list[int]]:
        return [y.tolist() for _, y, *_ in feed.train_batches(seed, epoch, batch, start, dist, epoch_steps)]

    epochs = [ys(dev, e, 0) for e in range(3)]
    assert all(len(e) == (epoch_steps or 3) for e in epochs)
    assert ys(dev, 1, 2) == epochs[1][2:]
    assert [ys(stream, e, 0) for e in range(3)] == epochs and ys(stream, 1, 2) == epochs[1][2:]
    flat = [b for e in epochs for b in e]
    for p in range(len(flat) // 3):  # every pass: 3 distinct batches of 6 distinct images
        seen = [i for b in flat[3 * p : 3 * p + 3] for i in b]
        assert len(seen) == len(set(seen)) == 18
