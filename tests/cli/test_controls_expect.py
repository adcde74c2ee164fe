"""Controls: a check with ``expect`` reads "as expected" / "NOT as expected"; --strict and run gate on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.records import RecordStore
from bench.suite_check import load_checked_suite
from bench.verdicts.types import Verdict
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

AHEAD = {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]}  # vit clearly ahead
TIED = {("resnet", 1.0): [70.0, 71.0, 72.0], ("vit", 1.0): [70.1, 71.1, 71.9]}  # no difference


def _setup(tmp_path: Path, expect: str, vals: dict, drop: int = 0) -> list[str]:
    suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", name="ctl", expect=expect))
    store = RecordStore(tmp_path / "results")
    records = fake_records(suite, "quick", vals)
    for r in records[: len(records) - drop]:
        store.write(r.relpath, r, replace=True)
    (tmp_path / "baselines").mkdir(exist_ok=True)
    return ["--out", str(tmp_path / "results"), "--suites-dir", str(tmp_path / "suites")] + [
        "--baselines",
        str(tmp_path / "baselines"),
    ]


@pytest.mark.parametrize(
    ("expect", "vals", "drop", "shown", "rc"),
    [
        ("pass", AHEAD, 0, "control: as expected (pass)", 0),
        ("not pass", TIED, 0, "control: as expected (inconclusive)", 0),
        (
            "fail",
            {("resnet", 1.0): AHEAD[("vit", 1.0)], ("vit", 1.0): AHEAD[("resnet", 1.0)]},
            0,
            "as expected (fail)",
            0,
        ),
        ("not pass", AHEAD, 0, "control: NOT as expected (pass; expected not pass)", 1),
        ("pass", TIED, 0, "control: NOT as expected (inconclusive; expected pass)", 1),
        # a negative control with a missing run is no evidence of silence
        ("not pass", TIED, 1, "control: NOT as expected (inconclusive; expected not pass)", 1),
    ],
)
def test_controls_read_as_expected_and_gate_strict(tmp_path, capsys, expect, vals, drop, shown, rc) -> None:
    args = _setup(tmp_path, expect, vals, drop)
    assert main(["leaderboard", "--strict"] + args) == rc
    out, err = capsys.readouterr()
    assert shown in out
    assert ("as expected" if rc == 0 else "NOT as expected") in out  # the claims row of the controls
    if rc:
        assert "control(s) not as expected" in err and "ctl" in err


def test_not_run_negative_control_is_not_as_expected() -> None:
    v = Verdict("order", "x", "not run", "no runs", expect="not pass", complete=False)
    assert v.as_expected is False and v.gate_status == "fail"
    assert Verdict("order", "x", "fail", "", expect="not pass").as_expected is True
    assert Verdict("order", "x", "fail", "").as_expected is None  # a claim check is not a control


def test_json_carries_expect_and_outcome(tmp_path, capsys) -> None:
    import json

    args = _setup(tmp_path, "not pass", TIED)
    assert main(["leaderboard", "--format", "json"] + args) == 0
    row = json.loads(capsys.readouterr().out)["checks"][0]
    assert row["expect"] == "not pass" and row["as_expected"] is True and row["status"] == "inconclusive"


@pytest.mark.parametrize("bad", ["maybe", "PASS", 1])
def test_bad_expect_is_one_line(tmp_path, bad) -> None:
    with pytest.raises(BenchError) as info:
        toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", expect=bad))
    msg = str(info.value)
    assert "\n" not in msg and "expect" in msg and "'not pass'" in msg


def test_shipped_controls_suite_states_every_expectation(suites_dir) -> None:
    suite = load_checked_suite(suites_dir / "controls.toml")
    checks = suite.tier(suite.default_tier)["checks"]
    assert checks and all(c.get("expect") in ("pass", "fail", "not pass") for c in checks)
    assert {c["expect"] for c in checks} >= {"pass", "not pass"}  # positive and negative controls
