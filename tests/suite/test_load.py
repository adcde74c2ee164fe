"""Suite loader: the committed suites load; malformed files give one line naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.suite import discover, load_suite, load_suites
from bench.suite_check import load_checked_suite, load_checked_suites

GOOD = """
name = "{name}"
version = 1
title = "t"
changelog = ["v1: first"]
[recipes.r]
optimizer = "sgd"
lr = 0.1
[arms.a]
model = "resnet_tiny"
recipe = "r"
[arms.b]
model = "vit_tiny"
recipe = "r"
[tiers.smoke]
data = {{ source = "synthetic", num_classes = 4, n_train = 64, n_test = 32 }}
epochs = 2
batch_size = 16
seeds = [0, 1]
fractions = [0.5, 1.0]
[tiers.smoke.overrides.b]
recipe = {{ lr = 0.01 }}
[[tiers.smoke.checks]]
kind = "health"
margin = 1.0
"""


def write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text.format(name=name))
    return p


def test_committed_suites_load(suites_dir: Path) -> None:
    """Loading validates every tier: models, schedules, recipes, data sources, check keys and the
    reported baselines the checks name (against the real baselines/ folder)."""
    suites = load_checked_suites(suites_dir=suites_dir)
    assert {s.name for s in suites} >= {"data-scale", "reparam-interp", "cifar100-prs"}
    for s in suites:
        # every suite runs without --tier: its default tier (smoke, or e.g. the controls' ci) exists
        assert s.default_tier in s.tiers and s.version >= 1 and s.changelog


def test_good_file_resolves_with_overrides(tmp_path: Path) -> None:
    s = load_suite(write(tmp_path, GOOD))
    cfg = s.resolve("b", "smoke", 0.5)
    assert cfg["model"] == {"name": "vit_tiny", "kwargs": {}}
    assert cfg["recipe"]["lr"] == 0.01 and cfg["recipe"]["epochs"] == 2 and cfg["recipe"]["batch_size"] == 16
    assert cfg["data"]["fraction"] == 0.5 and cfg["schedule"] == {"kind": "never"}
    assert s.resolve("a", "smoke")["recipe"]["lr"] == 0.1


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda t: t.replace("version = 1", 'version = "one"'), "'version' must be a positive integer"),
        (lambda t: t.replace('title = "t"\n', ""), "missing key 'title'"),
        (lambda t: t.replace("epochs = 2", "epochs = 0"), "'tiers.smoke.epochs' must be an integer in 1..100000"),
        (lambda t: t.replace("seeds = [0, 1]", "seeds = [0, 0]"), "'tiers.smoke.seeds'"),
        (lambda t: t.replace("fractions = [0.5, 1.0]", "fractions = [1.5]"), "'tiers.smoke.fractions'"),
        (lambda t: t.replace('model = "vit_tiny"', 'model = "no_such_model"'), "unknown model 'no_such_model'"),
        (lambda t: t.replace('recipe = "r"\n[arms.b]', 'recipe = "zz"\n[arms.b]'), "unknown recipe 'zz'"),
        (lambda t: t.replace('kind = "health"', 'kind = "vibes"'), "unknown check 'vibes'"),
        (lambda t: t.replace('source = "synthetic"', 'source = "nowhere"'), "unknown data source 'nowhere'"),
        (lambda t: t.replace("batch_size = 16", "batch_size = 16\nbogus = 1"), "unknown key 'tiers.smoke.bogus'"),
        (lambda t: t + '\n[tiers.smoke.overrides.c]\nmodel = "vit_tiny"\n', "'tiers.smoke.overrides.c'"),
        (
            lambda t: t.replace(
                'recipe = "r"\n[tiers', 'recipe = "r"\nschedule = {{ kind = "prs", first = 1, last = 9 }}\n[tiers'
            ),
            "past the end of training",
        ),
        (lambda t: t.replace("[arms.a]", "[arms.a\n"), "not valid TOML"),
        (lambda t: t.replace("lr = 0.1", "lr = 0.1\nlearning_rate = 1"), "unknown recipe key 'learning_rate'"),
    ],
)
def test_malformed_file_names_file_and_key(tmp_path: Path, edit, needle: str) -> None:
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(BenchError) as err:
        load_checked_suite(path)
    msg = str(err.value)
    assert str(path) in msg and needle in msg and "\n" not in msg


def test_name_must_match_file(tmp_path: Path) -> None:
    p = tmp_path / "other.toml"
    p.write_text(GOOD.format(name="demo"))
    with pytest.raises(BenchError, match="file is named 'other'"):
        load_suite(p)


def test_unknown_suite_and_tier(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    assert list(discover(tmp_path)) == ["demo"]
    with pytest.raises(BenchError, match="unknown suite 'nope'; choose one of: demo"):
        load_suites(["nope"], tmp_path)
    with pytest.raises(BenchError, match="no tier 'full'"):
        load_suites(["demo"], tmp_path)[0].tier("full")


def test_every_check_kind_declares_its_keys(tmp_path: Path) -> None:
    """health goes through the same key table as the statistical checks: a typo is one line, not a default."""
    path = write(tmp_path, GOOD.replace("margin = 1.0", "marign = 2.0"))
    with pytest.raises(BenchError) as err:
        load_checked_suite(path)
    msg = str(err.value)
    assert (
        f"{path}: unknown key 'tiers.smoke.checks[0].marign' (allowed: arms, claim, decides, expect, kind, margin, name)"
        == msg
    )
    path = write(tmp_path, GOOD.replace("margin = 1.0", 'margin = "2"'))
    with pytest.raises(BenchError, match=r"key 'tiers.smoke.checks\[0\].margin' must be a number"):
        load_checked_suite(path)


def test_plain_load_needs_no_registry(tmp_path: Path) -> None:
    """bench.suite reads names as data; whether they exist is bench.suite_check's question."""
    s = load_suite(write(tmp_path, GOOD.replace('model = "vit_tiny"', 'model = "not_registered"')))
    assert s.resolve("b", "smoke")["model"]["name"] == "not_registered"
    with pytest.raises(BenchError, match="unknown model 'not_registered'"):
        load_checked_suite(s.path)
