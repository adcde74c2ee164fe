"""Planner: one run per (arm, fraction, seed); hashes change with the config and only then."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.suite import load_suite, parse_seeds, plan_runs

from .test_load import GOOD, write


@pytest.fixture
def suite(tmp_path: Path):
    return load_suite(write(tmp_path, GOOD))


def test_plan_is_the_cross_product(suite) -> None:
    runs = plan_runs(suite, "smoke")
    assert len(runs) == 2 * 2 * 2
    assert len({r.key for r in runs}) == len(runs)
    assert {r.data_label for r in runs} == {"synthetic-f0.5", "synthetic-f1"}
    r = runs[0]
    assert r.relpath == f"demo/v1/smoke/{r.arm}/{r.data_label}/seed{r.seed}.json"


def test_hash_depends_on_config_not_seed(tmp_path: Path, suite) -> None:
    runs = plan_runs(suite, "smoke")
    by = {(r.arm, r.data_label, r.seed): r.config_hash for r in runs}
    assert by[("a", "synthetic-f1", 0)] == by[("a", "synthetic-f1", 1)]
    assert by[("a", "synthetic-f1", 0)] != by[("a", "synthetic-f0.5", 0)]
    other = tmp_path / "changed"
    other.mkdir()
    changed = load_suite(write(other, GOOD.replace("lr = 0.1", "lr = 0.2")))
    again = {(r.arm, r.data_label, r.seed): r.config_hash for r in plan_runs(changed, "smoke")}
    assert again[("a", "synthetic-f1", 0)] != by[("a", "synthetic-f1", 0)]
    assert again[("b", "synthetic-f1", 0)] == by[("b", "synthetic-f1", 0)]  # b overrides lr


def test_seeds_and_arms_selection(suite) -> None:
    assert parse_seeds([3, 4]) == [3, 4]
    assert parse_seeds([0], count="3") == [0, 1, 2]
    assert parse_seeds([0, 1], count="5") == [0, 1, 2, 3, 4]  # a count may go beyond the tier's list
    assert parse_seeds([0], listed="4") == [4]
    assert parse_seeds([0], listed="0, 5") == [0, 5]
    for bad in ("x", "0", "-1", "4,", ",", "101", "99999999999999999999", "３"):
        with pytest.raises(BenchError, match="^--seeds .*--seed-list"):
            parse_seeds([0], count=bad)
    for bad in (",", "4,", "1,1", "-1", "0,x", "2147483648", ""):
        with pytest.raises(BenchError, match="^--seed-list"):
            parse_seeds([0], listed=bad)
    with pytest.raises(BenchError, match="do not combine"):
        parse_seeds([0], count="2", listed="0,4")
    assert {r.arm for r in plan_runs(suite, "smoke", seeds=[0], arms=["b"])} == {"b"}
    with pytest.raises(BenchError, match="no arm 'zz'"):
        plan_runs(suite, "smoke", arms=["zz"])


def test_adhoc_spec_outside_a_suite() -> None:
    """perf, gpu-check and tests train without a suite: the model names the arm, the content hash is the config's."""
    from bench.suite.hashing import content_hash
    from bench.suite.plan import RunSpec

    cfg = {"model": {"name": "resnet_tiny", "kwargs": {}}, "recipe": {}, "data": {"source": "synthetic"}}
    spec = RunSpec.adhoc(cfg, 3)
    assert spec.config_hash == content_hash(cfg) and spec.config is cfg
    assert spec.run_id == "adhoc/v0/adhoc/resnet_tiny/synthetic-f1/seed3"
    assert RunSpec.adhoc(cfg, 3, config_hash="h").config_hash == "h"


def test_an_arm_runs_only_at_its_override_fractions(tmp_path: Path) -> None:
    text = GOOD.replace("[tiers.smoke.overrides.b]\n", "[tiers.smoke.overrides.b]\nfractions = [1.0]\n")
    runs = plan_runs(load_suite(write(tmp_path, text)), "smoke")
    assert {r.data_label for r in runs if r.arm == "b"} == {"synthetic-f1"}
    assert {r.data_label for r in runs if r.arm == "a"} == {"synthetic-f0.5", "synthetic-f1"}
    assert len(runs) == (2 + 1) * 2


def test_override_fractions_outside_the_tier_are_one_line(tmp_path: Path) -> None:
    text = GOOD.replace("[tiers.smoke.overrides.b]\n", "[tiers.smoke.overrides.b]\nfractions = [0.25]\n")
    with pytest.raises(BenchError) as info:
        load_suite(write(tmp_path, text))
    msg = str(info.value)
    assert "tiers.smoke.overrides.b.fractions' has 0.25, which is not one of the tier's fractions (0.5, 1)" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("fractions", ["[0.5, 0.5]", "[0.1, 0.1000001]", "[0.5, 0.5000004]"])
def test_fractions_with_one_run_label_are_refused_at_load(tmp_path: Path, fractions: str) -> None:
    with pytest.raises(BenchError) as info:
        load_suite(write(tmp_path, GOOD.replace("fractions = [0.5, 1.0]", f"fractions = {fractions}")))
    msg = str(info.value)
    assert "key 'tiers.smoke.fractions' has" in msg and "same run label" in msg and "\n" not in msg


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("lr = 0.1", "lr = nan", "recipes.r.lr"),
        ("fractions = [0.5, 1.0]", "fractions = [0.5, inf]", "tiers.smoke.fractions[1]"),
        ("recipe = {{ lr = 0.01 }}", "recipe = {{ lr = -inf }}", "tiers.smoke.overrides.b.recipe.lr"),
    ],
)
def test_non_finite_numbers_are_refused_at_load_naming_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in GOOD
    with pytest.raises(BenchError) as info:
        load_suite(write(tmp_path, GOOD.replace(old, new)))
    assert f"key {key!r} is" in str(info.value) and "must be finite" in str(info.value)
