"""`band` against scipy, each rule, and its refusals."""

from __future__ import annotations

import pytest
from scipy import stats as ss

from bench.errors import BenchError
from tests.fakes import check_toml as ck

RES = [70.0, 70.5, 71.0]


def test_list_rule_pass_when_not_different(judge) -> None:
    vit = [70.2, 70.9, 70.4]
    [v] = judge(ck("band", arm="vit", reference_arm="resnet"), {("resnet", 1.0): RES, ("vit", 1.0): vit})
    assert v.status == "pass" and "list rule" in v.detail and "not significantly different" in v.detail
    assert v.numbers["p"] == pytest.approx(ss.ttest_ind(vit, RES, equal_var=False).pvalue)


def test_list_rule_fail_when_significant_beyond_floor(judge) -> None:
    [v] = judge(ck("band", arm="vit", reference_arm="resnet"), {("resnet", 1.0): RES, ("vit", 1.0): [74.0, 74.2, 74.1]})
    assert v.status == "fail" and "significant and |diff| > floor" in v.detail


def test_list_rule_floor_rescues_a_tiny_significant_difference(judge) -> None:
    vals = {("resnet", 1.0): [70.00, 70.01, 70.02], ("vit", 1.0): [70.30, 70.31, 70.32]}
    [v] = judge(ck("band", arm="vit", reference_arm="resnet"), vals)
    assert v.numbers["p"] < 0.05 and v.status == "pass" and "within the floor" in v.detail
    [v] = judge(ck("band", arm="vit", reference_arm="resnet", floor=0.1), vals)
    assert v.status == "fail"


def test_equal_values_zero_spread(judge) -> None:
    [v] = judge(ck("band", arm="vit", reference_arm="resnet"), {("resnet", 1.0): [70.0] * 3, ("vit", 1.0): [70.0] * 3})
    assert v.status == "pass" and v.numbers["p"] == 1.0


def test_olympic_mean_with_five_seeds(judge) -> None:
    seeds = (0, 1, 2, 3, 4)
    vals = {("resnet", 1.0): [70.0, 70.1, 70.2, 70.3, 70.4], ("vit", 1.0): [70.1, 70.2, 70.3, 70.2, 99.0]}
    [v] = judge(ck("band", arm="vit", reference_arm="resnet"), vals, seeds=seeds)
    assert v.numbers["measured"] == pytest.approx(70.2333, abs=1e-3)  # 99.0 and 70.1 dropped
    assert "olympic" in v.detail


def test_tiny_n_is_inconclusive(judge) -> None:
    [v] = judge(
        ck("band", arm="vit", reference_arm="resnet"), {("resnet", 1.0): [70.0], ("vit", 1.0): [75.0]}, seeds=(0,)
    )
    assert v.status == "inconclusive" and ">= 2 values per side" in v.detail


def test_missing_run_and_nan_are_named(judge) -> None:
    [v] = judge(ck("band", arm="vit", reference_arm="resnet"), {("resnet", 1.0): RES, ("vit", 1.0): [70.2, 70.4]})
    assert v.status == "inconclusive" and "missing seed 2" in v.detail
    [v] = judge(
        ck("band", arm="vit", reference_arm="resnet"), {("resnet", 1.0): RES, ("vit", 1.0): [70.2, float("nan"), 70.4]}
    )
    assert v.status == "inconclusive" and "seed 1: test_acc is nan" in v.detail


def test_single_number_rule(judge) -> None:
    [v] = judge(ck("band", arm="vit", reference="toy-single", tolerance=1.0), {("vit", 1.0): [70.5, 70.9, 70.7]})
    assert (
        v.status == "pass"
        and "single-number rule" in v.detail
        and v.numbers["source"] == "test source, table 1, row toy"
    )
    [v] = judge(ck("band", arm="vit", reference="toy-single", tolerance=0.5), {("vit", 1.0): [70.5, 70.9, 70.7]})
    assert v.status == "fail"


def test_spread_rule_without_n_uses_a_prediction_band(judge) -> None:
    vit = [71.4, 71.5, 71.3]
    [v] = judge(ck("band", arm="vit", reference="toy-spread"), {("vit", 1.0): vit})
    half = ss.norm.ppf(0.975) * 0.5 * (1 + 1 / 3) ** 0.5
    assert v.numbers["hi"] == pytest.approx(70.0 + half)
    assert v.status == ("pass" if abs(sum(vit) / 3 - 70.0) <= half else "fail") == "fail"
    [v] = judge(ck("band", arm="vit", reference="toy-spread"), {("vit", 1.0): [70.3, 70.5, 70.1]})
    assert v.status == "pass" and "spread rule" in v.detail


def test_spread_rule_with_n_is_welch_from_stats(judge) -> None:
    vit = [70.9, 71.6, 71.2]
    [v] = judge(ck("band", arm="vit", reference="toy-spread-n"), {("vit", 1.0): vit})
    import numpy as np

    ref = ss.ttest_ind_from_stats(np.mean(vit), np.std(vit, ddof=1), 3, 70.0, 0.5, 4, equal_var=False)
    assert v.numbers["p"] == pytest.approx(ref.pvalue)
    assert v.status == ("fail" if ref.pvalue < 0.05 else "pass")


@pytest.mark.parametrize(
    "params, key",
    [
        ({"arm": "vit", "reference_arm": "resnet", "alpha": 1.5}, "checks[0].alpha"),
        ({"arm": "vit", "reference_arm": "resnet", "colour": 1}, "checks[0].colour"),
        ({"arm": "vit"}, "checks[0].reference"),
        ({"arm": "vit", "reference": "no-such-id"}, "checks[0].reference"),
        ({"arm": "vit", "reference": "toy-cifar"}, "checks[0].reference"),  # measured on another dataset
        ({"arm": "vit", "reference_arm": "resnet", "fraction": 0.3}, "checks[0].fraction"),
    ],
)
def test_bad_params_name_the_key(judge, params, key) -> None:
    with pytest.raises(BenchError, match=key.replace("[", r"\[").replace("]", r"\]")):
        judge(ck("band", **params), {("vit", 1.0): RES})


def test_reported_entries_need_a_source(tmp_path) -> None:
    from bench.baselines import load_reported

    p = tmp_path / "reported.toml"
    p.write_text(
        '[x]\nvalue = 1.0\nmetric = "test_acc"\ndataset = "d"\nmodel = "m"\nrecipe = "r"\nsource = "s"\nwhere = "w"\n'
    )
    with pytest.raises(BenchError, match="missing key 'x.url'"):
        load_reported(p)
    p.write_text(p.read_text() + 'url = "ftp://nope"\n')
    with pytest.raises(BenchError, match="x.url"):
        load_reported(p)


def test_shipped_reported_file_loads_and_cites() -> None:
    from pathlib import Path

    from bench.baselines import load_reported

    rep = load_reported(Path(__file__).resolve().parents[2] / "baselines" / "reported.toml")
    assert rep["weiaicunzai-resnet18-cifar100"].value == 75.61
    assert all(
        r.url.startswith(("https://github.com/", "https://arxiv.org/abs/")) and r.where and r.statistic
        for r in rep.values()
    )


def test_equivalence_needs_positive_evidence(judge) -> None:
    noisy = {("resnet", 1.0): [68.0, 72.0, 70.0], ("vit", 1.0): [67.0, 73.0, 70.5]}
    plain = ck("band", arm="vit", reference_arm="resnet")
    tost = ck("band", arm="vit", reference_arm="resnet", equivalence=True)
    assert judge(plain, noisy)[0].status == "pass"  # not significant ...
    [v] = judge(tost, noisy)
    assert v.status == "inconclusive" and "TOST" in v.detail  # ... but not shown equivalent either
    tight = {("resnet", 1.0): [70.0, 70.1, 70.2], ("vit", 1.0): [70.05, 70.15, 70.1]}
    [v] = judge(tost, tight)
    import numpy as np

    lo, hi = (
        np.mean(tight[("vit", 1.0)])
        - np.mean(tight[("resnet", 1.0)])
        + np.array([-1, 1]) * ss.t.ppf(0.95, v_df(tight)) * se(tight)
    )
    assert v.status == "pass" and lo >= -0.5 and hi <= 0.5


def test_equivalence_against_a_reported_number_is_a_one_sample_tost(judge) -> None:
    vals = [69.8, 70.3, 70.1]
    c = ck("band", arm="vit", reference="toy-single", equivalence=True, margin=1.0)
    [v] = judge(c, {("vit", 1.0): vals})
    import numpy as np

    m, s = np.mean(vals), np.std(vals, ddof=1) / np.sqrt(3)
    want = max(ss.t.sf((m - 70 + 1) / s, 2), ss.t.cdf((m - 70 - 1) / s, 2))
    assert v.status == "pass" and v.numbers["p"] == pytest.approx(want)
    assert "final-epoch figure, compared with test_acc" in v.detail
    [v] = judge(c, {("vit", 1.0): [72.0, 72.2, 72.1]})
    assert v.status == "fail" and "beyond the margin" in v.detail


def test_band_reads_the_statistic_its_source_reports(judge) -> None:
    with pytest.raises(BenchError, match="statistic its source reports"):
        judge(ck("band", arm="vit", reference="toy-single", metric="test_acc_best"), {("vit", 1.0): RES})


def se(vals) -> float:
    import numpy as np

    a, b = vals[("vit", 1.0)], vals[("resnet", 1.0)]
    return float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)))


def v_df(vals) -> float:
    return ss.ttest_ind(vals[("vit", 1.0)], vals[("resnet", 1.0)], equal_var=False).df


@pytest.mark.parametrize(
    "params, key",
    [
        ({"arm": "vit", "reference_arm": "resnet", "margin": 1.0}, "margin"),  # margin needs equivalence = true
        ({"arms": ["vit"], "arm": "vit", "reference_arm": "resnet"}, "arm"),  # arm beside arms
    ],
)
def test_keys_the_form_does_not_read_are_refused(judge, params, key) -> None:
    """The key table allows these keys for a band check; done() refuses them where they would be ignored."""
    with pytest.raises(BenchError, match=rf"checks\[0\]\.{key}' \(band\): not read by this form of the check"):
        judge(ck("band", **params), {("vit", 1.0): RES})
