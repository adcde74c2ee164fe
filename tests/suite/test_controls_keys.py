"""Suite keys the controls need: an arm's own data options, a suite's default tier."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.suite import load_suite
from bench.suite_check import load_checked_suite

BASE = """name = "ctl"
version = 1
title = "t"
changelog = ["v1: t"]
{top}
[recipes.r]
optimizer = "sgd"
lr = 0.05

[arms.clean]
model = "resnet_tiny"
recipe = "r"

[arms.noisy]
model = "resnet_tiny"
recipe = "r"
{arm}

[tiers.ci]
data = {{ source = "synthetic-quadrant", n_train = 64, n_test = 16 }}
epochs = 1
batch_size = 16
seeds = [0]
"""


def _write(tmp_path: Path, top: str = "", arm: str = "data = { label_noise = 0.25 }") -> Path:
    path = tmp_path / "ctl.toml"
    path.write_text(BASE.format(top=top, arm=arm), encoding="utf-8")
    return path


def test_an_arm_data_table_merges_over_the_tier_data(tmp_path) -> None:
    suite = load_checked_suite(_write(tmp_path))
    assert suite.resolve("noisy", "ci")["data"] == {
        "source": "synthetic-quadrant",
        "n_train": 64,
        "n_test": 16,
        "label_noise": 0.25,
        "fraction": 1.0,
    }
    assert "label_noise" not in suite.resolve("clean", "ci")["data"]


@pytest.mark.parametrize(
    ("arm", "needle"),
    [
        ('data = { source = "synthetic" }', "key 'arms.noisy.data' must be a table of data options"),
        ("data = { label_noise = 2 }", "option label_noise = 2 must be a number in [0, 1]"),
        ("data = { n_trian = 5 }", "has no option 'n_trian'"),
    ],
)
def test_bad_arm_data_is_one_line(tmp_path, arm, needle) -> None:
    with pytest.raises(BenchError) as info:
        load_checked_suite(_write(tmp_path, arm=arm))
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_default_tier_is_what_run_trains_without_tier(tmp_path, capsys) -> None:
    _write(tmp_path, top='default_tier = "ci"')
    assert load_suite(tmp_path / "ctl.toml").default_tier == "ci"
    assert main(["run", "ctl", "--suites-dir", str(tmp_path), "--dry-run"]) == 0
    assert "ctl/v1/ci/clean" in capsys.readouterr().out


def test_unknown_default_tier_is_refused(tmp_path) -> None:
    with pytest.raises(BenchError) as info:
        load_suite(_write(tmp_path, top='default_tier = "smoke"'))
    assert "key 'default_tier' names unknown tier 'smoke'; tiers: ci" in str(info.value)


def test_suites_with_different_default_tiers_need_tier(tmp_path, capsys) -> None:
    _write(tmp_path, top='default_tier = "ci"')
    other = (tmp_path / "ctl.toml").read_text().replace('name = "ctl"', 'name = "other"')
    (tmp_path / "other.toml").write_text(other.replace('default_tier = "ci"\n', ""), encoding="utf-8")
    assert main(["run", "ctl", "other", "--suites-dir", str(tmp_path), "--dry-run"]) == 2
    assert "default to different tiers (ci, smoke); give --tier" in capsys.readouterr().err
