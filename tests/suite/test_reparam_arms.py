"""The shipped reparam suites isolate the schedule and attribute its effects: controls in one model family,
same patch sizes, parameter-matched variant, nothing imposed on a switched layer outside a labelled ablation,
a content-off control beside every tier that carries C4-C6, honest Fourier tiers."""

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
    assert count_params(never) < 0.93 * count_params(switched)  # the gap the control closes
    assert abs(count_params(wide) - count_params(switched)) <= 1e-3 * count_params(switched)


@pytest.mark.parametrize("name", ["cifar100-prs", "reparam-interp", "data-scale"])
def test_only_labelled_ablations_impose_softening(name: str) -> None:
    """The method's arms leave the convolution by learning; an imposed softening is an ablation, said so."""
    s = suite(name)
    for tier in s.tiers:
        for arm in s.tier_arms(tier):
            if "force_soften_epochs" in s.resolve(arm, tier)["schedule"]:
                assert s.arm_label(arm).startswith("ablation:"), (tier, arm)


@pytest.mark.parametrize("name", ["cifar100-prs", "reparam-interp"])
def test_every_tier_with_switching_claims_has_a_content_off_control(name: str) -> None:
    """Beside a switching arm, the same model and schedule with content attention off (positional only)."""
    s = suite(name)
    for tier, spec in s.tiers.items():
        if not {c.get("claim") for c in spec.get("checks", [])} & {"C4", "C5", "C6"}:
            continue
        cfg = {a: s.resolve(a, tier) for a in s.tier_arms(tier)}
        posonly = [a for a, c in cfg.items() if c["model"]["kwargs"].get("content") is False]
        method = [a for a, c in cfg.items() if c["schedule"].get("kind", "never") not in ("never", "zero")]
        twins = [
            (m, p)
            for m in method
            for p in posonly
            if m != p
            and cfg[m]["schedule"] == cfg[p]["schedule"]
            and cfg[m]["model"]["name"] == cfg[p]["model"]["name"]
            and cfg[m]["recipe"] == cfg[p]["recipe"]
        ]
        assert twins, (name, tier)


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
