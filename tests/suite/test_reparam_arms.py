"""The shipped reparam suites isolate the schedule (issue 11): controls in one model family, same
patch sizes, parameter-matched variant, softening everywhere a layer switches, honest Fourier tiers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch.nn as nn

from bench.models import create_model
from bench.models.reparam import reparam_layers, switch_layer
from bench.models.stats import count_params
from bench.suite.load import Suite, load_suite

SUITES = Path(__file__).resolve().parents[2] / "suites"


def suite(name: str) -> Suite:
    return load_suite(SUITES / f"{name}.toml")


def build(cfg: dict) -> nn.Module:
    return create_model(cfg["model"]["name"], num_classes=100, **cfg["model"]["kwargs"])


def patch(model: nn.Module) -> int:
    p = model.patch_embed.patch_size
    return p[0] if isinstance(p, tuple) else p


@pytest.mark.parametrize("tier", ["smoke", "quick", "full"])
def test_cifar100_prs_controls_share_the_prs_model_and_patch_size(tier: str) -> None:
    s = suite("cifar100-prs")
    cfg = {a: s.resolve(a, tier) for a in s.tier_arms(tier)}
    prs = cfg["prs"]["model"]["name"]
    for arm in ("never", "zero", "never_wide", "uniform", "reversed"):
        assert cfg[arm]["model"]["name"] == prs, arm
    assert cfg["never"]["schedule"] == {"kind": "never"} and cfg["zero"]["schedule"]["kind"] == "zero"
    patches = {arm: patch(build(cfg[arm])) for arm in ("prs", "convit", "deit")}
    assert len(set(patches.values())) == 1, patches


@pytest.mark.parametrize("tier", ["smoke", "quick", "full"])
def test_never_wide_matches_the_switched_models_parameters(tier: str) -> None:
    s = suite("cifar100-prs")
    switched = build(s.resolve("prs", tier))
    for i in range(len(reparam_layers(switched))):
        switch_layer(switched, i)
    wide, never = build(s.resolve("never_wide", tier)), build(s.resolve("never", tier))
    assert count_params(never) < 0.85 * count_params(switched)  # the gap the control closes
    assert abs(count_params(wide) - count_params(switched)) <= 1e-3 * count_params(switched)


@pytest.mark.parametrize("name", ["cifar100-prs", "reparam-interp", "data-scale"])
def test_every_switching_arm_softens_over_a_tenth_of_training(name: str) -> None:
    s = suite(name)
    for tier in s.tiers:
        for arm in s.tier_arms(tier):
            cfg = s.resolve(arm, tier)
            if cfg["schedule"]["kind"] != "never":
                assert cfg["schedule"]["soften_epochs"] == max(1, cfg["recipe"]["epochs"] // 10), (tier, arm)


def test_reparam_interp_fourier_claims_rest_on_16x16_maps() -> None:
    s = suite("reparam-interp")
    for tier, spec in s.tiers.items():
        fourier = [c for c in spec.get("checks", []) if str(c.get("metric", "")).startswith("fourier.")]
        sides = {32 // patch(build(s.resolve(arm, tier))) for arm in ("zero", "never", "deit")}
        if tier == "full":
            assert sides == {16}
            assert {c["claim"] for c in fourier} == {"C3", "C4"}
            c3 = next(c for c in fourier if c["claim"] == "C3")
            assert (c3["kind"], c3["a"], c3["b"]) == ("order", "never", "deit")
            c4 = next(c for c in fourier if c["claim"] == "C4")
            assert c4["arms"][0] == "deit" and c4["arms"][-1] == "never"  # DeiT is the attention end
        elif tier == "quick":
            assert sides == {8} and not fourier and "cannot carry" in spec["description"]
    assert "ConViT-style local init" in s.arm_label("zero")
