"""Values the loader used to accept and that crashed (or escaped the results folder) later are
refused at load, in one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.suite import load_suite
from bench.suite_check import load_checked_suite

from .test_load import GOOD, write


@pytest.mark.parametrize(
    "edit, needle",
    [
        (
            lambda t: t.replace("[arms.a]", '[arms."../../../../escaped"]').replace("arms.a", "arms.x"),
            "key 'arms' must be a non-empty table of arm tables, each named by a safe name",
        ),
        (
            lambda t: t.replace("[arms.b]", '[arms."a/b"]').replace("overrides.b", 'overrides."a/b"'),
            "each named by a safe name",
        ),
        (lambda t: t.replace("[tiers.smoke]", '[tiers."..".x]\n[tiers.smoke]'), "non-empty table of tier tables"),
        (
            lambda t: t.replace("[tiers.smoke]", "[tiers.smoke]\n").replace("tiers.smoke", 'tiers.".hidden"'),
            "each named by a safe name",
        ),
    ],
)
def test_unsafe_names_refused(tmp_path: Path, edit, needle: str) -> None:
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(BenchError) as err:
        load_suite(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and needle in msg and "\n" not in msg


def test_unsafe_suite_name_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, name="..x")
    with pytest.raises(BenchError, match="key 'name' must be a safe name"):
        load_suite(path)


def test_escaping_arm_writes_nothing_outside(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    write(suites, GOOD.replace("[arms.a]", '[arms."../../../../escaped"]').replace("arms.a", "arms.x"))
    out = tmp_path / "deep" / "er" / "results"
    assert main(["run", "demo", "--out", str(out), "--suites-dir", str(suites), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "safe name" in err
    assert not any(p.name == "escaped" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    "edit, needle",
    [
        (
            lambda t: t.replace("lr = 0.1", "lr = inf"),
            "key 'recipes.r.lr' is inf; every number in a suite must be finite",
        ),
        (lambda t: t.replace("lr = 0.1", "lr = 0"), "'lr' must be a finite learning rate > 0"),
        (
            lambda t: t.replace('[recipes.r]\noptimizer = "sgd"\nlr = 0.1', '[recipes]\nr = "sgd"'),
            "key 'recipes' must be",
        ),
        (lambda t: t.replace("margin = 1.0", 'margin = "abc"'), "checks[0].margin' must be a number"),
        (lambda t: t.replace("margin = 1.0", "margn = 1.0"), "unknown key 'tiers.smoke.checks[0].margn'"),
        (lambda t: t.replace("seeds = [0, 1]", f"seeds = [0, {2**63 - 1}]"), "'tiers.smoke.seeds' must be"),
        (
            lambda t: t.replace("seeds = [0, 1]", "seeds = [0, 1]\nrecipe = {{ label_smoothing = 1.0 }}"),
            "'label_smoothing' must be a number in [0, 1)",
        ),
        (lambda t: t.replace("n_test = 32", "n_test = 32, n_trian = 5"), "has no option 'n_trian'"),
    ],
)
def test_values_that_crashed_later_are_refused_at_load(tmp_path: Path, edit, needle: str) -> None:
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(BenchError) as err:
        load_checked_suite(path)
    msg = str(err.value)
    assert str(path) in msg and needle in msg and "\n" not in msg, msg
