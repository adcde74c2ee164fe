"""Every shipped check keeps its error rate at its tier's seed count, at the seed spread of the
metric it reads and at its kind's least-favourable null (issues 12 and 21).

The nulls are simulated (numpy, seeded) through the same ``decide`` rule each verdict calls; a
null rate above alpha + 3 Monte-Carlo standard errors fails.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bench.baselines import Baselines
from bench.errors import BenchError
from bench.records import build_tier_view
from bench.suite import load_suite, load_suites
from bench.verdicts import calibrate as cal
from bench.verdicts import crossover, spreads
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

REPO = Path(__file__).resolve().parents[2]
SUITES = load_suites(suites_dir=REPO / "suites")
CHECKS = cal.shipped_checks(SUITES)
SHIPPED = Baselines(REPO / "baselines")
C2 = [c for c in CHECKS if c[2]["kind"] == "crossover" and "arms" in c[2]]


def _bound(alpha: float, sims: int) -> float:
    return alpha + 3 * math.sqrt(alpha * (1 - alpha) / sims)


@pytest.fixture(scope="module")
def rates() -> list[cal.Rate]:
    """The docs table's simulation (``python -m bench.verdicts.calibrate``), run once for this module."""
    return cal.calibrate(cal.SIMS, SUITES, baselines=SHIPPED)


def test_null_error_rate_at_most_alpha(rates) -> None:
    """Every check of every shipped tier, at its metric's spread and its kind's least-favourable null."""
    errors = [r for r in rates if r.is_error and not (r.kind == "regression" and r.counted == "pass")]
    assert len({(r.suite, r.tier, r.check) for r in errors}) == len(CHECKS)
    for r in errors:
        assert r.rate <= _bound(r.alpha, r.sims), (
            f"{r.suite} {r.tier} {r.check}: null {r.counted} {r.rate:.3f} at sd {r.sd}"
        )


def test_c2_false_verdicts_at_the_least_favourable_nulls(rates) -> None:
    """Issue 21: both arms crossing the reference at one fraction with 4x different slopes
    (either arm steeper), and no crossover at all, at every shipped tier's seed count and at
    both ends of top-1's spread. The v4 permutation test erred up to 27.2% here (full tier, sd 1; docs/STATISTICS.md)."""
    c2 = [r for r in rates if r.kind == "crossover" and "(order)" in r.check]
    assert {r.seeds for r in c2} == {2, 3} and {r.sd for r in c2} == {0.5, 1.0}
    for suite, tier, check in C2:
        nulls = [sc for sc in cal.Simulator(suite, tier, check, SHIPPED).scenarios() if sc.name == "null"]
        assert {sc.counted for sc in nulls} == {"pass", "fail"} and all(len(sc.truths) == 12 for sc in nulls)
    for r in c2:
        if r.is_error:
            assert r.rate <= _bound(r.alpha, r.sims), f"{r.suite} {r.tier} {r.check}: {r.counted} {r.rate:.3f}"


def _c2_rates(xs: list[float], n: int, gx, gy, sims: int, sd: float = 1.0) -> tuple[float, float]:
    rng = np.random.default_rng(3)
    cell = lambda g, f: 70.0 + g(f) + sd * rng.standard_normal((sims, n))  # noqa: E731
    x, y, r = ([cell(g, f) for f in xs] for g in (gx, gy, lambda f: 0.0))
    st = crossover.decide_order(x, y, r, xs, 0.05, True).status
    return float(np.mean(st == "pass")), float(np.mean(st == "fail"))


@pytest.mark.slow
@pytest.mark.parametrize("tier", ["quick", "full", "full-imagenet"])
def test_c2_null_grid(tier) -> None:
    """A wider family than the table's: crossings anywhere in the range, rises of 1-100 units,
    slopes 1x-16x apart either way, and no crossover with leads of 1-30 units."""
    suite = next(s for s in SUITES if s.name == "data-scale")
    xs, n = sorted(suite.tier(tier)["fractions"]), len(suite.tier(tier)["seeds"])
    at = lambda f: (math.log10(f) - math.log10(xs[0])) / -math.log10(xs[0])  # noqa: E731
    sims, worst = 1000, 0.0
    for cross in (0.0, 0.1, 0.3, 0.5, 0.7, 1.0):
        for rise in (1.0, 3.0, 10.0, 100.0):
            for ratio in (1.0, 4.0, 16.0):
                gx = lambda f, r=rise * ratio, c=cross: r * (at(f) - c)  # noqa: E731
                gy = lambda f, r=rise, c=cross: r * (at(f) - c)  # noqa: E731
                worst = max(worst, *_c2_rates(xs, n, gx, gy, sims), *_c2_rates(xs, n, gy, gx, sims))
    assert worst <= _bound(0.05, sims), f"{tier}: worst false verdict {worst:.3f}"


def test_c2_power_is_stated_for_every_shipped_c2_check(rates) -> None:
    power = [r for r in rates if r.scenario == "crossover-order"]
    assert len(power) == 2 * len(C2) == len([r for r in rates if r.scenario == "crossover-order-4"])
    assert max(r.rate for r in power if r.tier == "full" and r.sd == 0.5) > 0.5


def test_every_shipped_band_is_an_equivalence_test() -> None:
    bands = [c for _, _, c in CHECKS if c["kind"] == "band"]
    assert bands and all(c.get("equivalence") for c in bands)


def test_each_check_is_simulated_at_its_metrics_spread() -> None:
    """A Fourier metric scatters by hundredths, top-1 by points: each check uses its metric's spread."""
    by_metric = {}
    for s, t, c in CHECKS:
        sim = cal.Simulator(s, t, c, SHIPPED)
        if t != "cpu":  # the cpu tiers declare their reference runs' wider spreads (test below)
            by_metric.setdefault(sim.spread.metric, set()).add((sim.spread.sds, sim.spread.unit))
        assert {r.sd for r in sim.rates(5)} == set(sim.spread.sds)
    assert by_metric["test_acc"] == {((0.5, 1.0), 1.0)}
    fourier = by_metric.pop("fourier.hf_change_mixer_mean")
    assert len(fourier) == 1 and max(next(iter(fourier))[0]) < 0.5


def test_the_cpu_tiers_are_simulated_at_their_reference_runs_spreads() -> None:
    """Fashion-MNIST after a few hundred steps scatters several points: each cpu tier's checks are
    simulated at the seed sd its own reference runs measured, not at CIFAR-100's 0.5-1."""
    cpu = [(s, c) for s, t, c in CHECKS if t == "cpu"]
    assert {s.name for s, _ in cpu} == {"data-scale", "cifar100-prs", "reparam-interp"}
    for s, c in cpu:
        spread = cal.Simulator(s, "cpu", c, SHIPPED).spread
        assert max(spread.sds) > (3.0 if spread.metric == "test_acc" else 0.1), (s.name, c)
        assert "reference runs" in spread.source


def _toy(tmp_path: Path, extra: str = ""):
    suite = toy_suite(
        tmp_path / "suites", ck("order", a="vit", b="resnet", metric="fourier.hf_change_mixer_mean"), seeds=(0, 1, 2)
    )
    if extra:
        suite.path.write_text(suite.path.read_text(encoding="utf-8") + extra, encoding="utf-8")
        suite = load_suite(suite.path)
    return suite


def test_a_metric_without_a_spread_cannot_be_calibrated(tmp_path) -> None:
    suite = _toy(tmp_path)
    with pytest.raises(BenchError, match=r"no seed spread for metric 'fourier.hf_change_mixer_mean': add \[spreads"):
        cal.Simulator(suite, "quick", suite.tier("quick")["checks"][0], SHIPPED)


def test_declared_spread_and_its_validation(tmp_path) -> None:
    table = '\n[spreads."fourier.hf_change_mixer_mean"]\nsd = [0.01, 0.03]\nunit = 0.02\nsource = "test"\n'
    suite = _toy(tmp_path, table)
    sim = cal.Simulator(suite, "quick", suite.tier("quick")["checks"][0], SHIPPED)
    assert sim.spread.sds == (0.01, 0.03) and sim.unit == 0.02
    bad = _toy(tmp_path / "b", "")
    bad.path.write_text(bad.path.read_text(encoding="utf-8") + table.replace("0.01", "-1"), encoding="utf-8")
    with pytest.raises(BenchError, match=r"spreads\.fourier\.hf_change_mixer_mean\.sd"):
        load_suite(bad.path)


def test_a_tier_declares_its_own_spread(tmp_path) -> None:
    """[tiers.T.spreads] wins over [spreads] for that tier's checks (the cpu tiers scatter more)."""
    metric = "fourier.hf_change_mixer_mean"
    table = f'\n[spreads."{metric}"]\nsd = [0.01, 0.03]\nunit = 0.02\nsource = "suite"\n'
    tier = f'\n[tiers.quick.spreads."{metric}"]\nsd = [0.05, 0.1]\nunit = 0.04\nsource = "tier"\n'
    suite = _toy(tmp_path, table + tier)
    sim = cal.Simulator(suite, "quick", suite.tier("quick")["checks"][0], SHIPPED)
    assert (sim.spread.sds, sim.unit, sim.spread.source) == ((0.05, 0.1), 0.04, "tier")
    assert spreads.declared(suite, metric).source == "suite"  # no tier named: the suite's
    assert spreads.declared(suite, "test_acc", "quick") == spreads.DEFAULT_SPREADS["test_acc"]
    with pytest.raises(BenchError, match=r"tiers\.quick\.spreads\.fourier\.hf_change_mixer_mean\.sd"):
        _toy(tmp_path / "b", table + tier.replace("0.05", "0"))


def test_measured_spread_pools_the_records_cells(tmp_path) -> None:
    """With records, the spread is the pooled within-cell seed sd: here cells of sd 1 and 2 -> sqrt(2.5)."""
    suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet"), seeds=(0, 1, 2))
    view = build_tier_view(
        suite, "quick", fake_records(suite, "quick", {("resnet", 1.0): [69, 70, 71], ("vit", 1.0): [68, 70, 72]})
    )
    sd, cells = spreads.measured(view, "test_acc")
    assert cells == 2 and sd == pytest.approx(math.sqrt(2.5))
    sim = cal.Simulator(suite, "quick", suite.tier("quick")["checks"][0], SHIPPED, records=view)
    assert sim.spread.sds == (round(math.sqrt(2.5), 4),) and "measured" in sim.spread.source


DOC = (REPO / "docs" / "STATISTICS.md").read_text(encoding="utf-8")
REGEN = "regenerate the table: python -m bench.verdicts.calibrate --write docs/STATISTICS.md"
BEGIN, END = cal.BEGIN, cal.END


def test_docs_table_is_the_generators_output(rates) -> None:
    """docs/STATISTICS.md carries `python -m bench.verdicts.calibrate`'s output: its header (spreads,
    simulations, effects) and every row (C2 included), regenerated here and equal to the digit."""
    assert BEGIN in DOC and END in DOC, "docs/STATISTICS.md lost its calibration table markers"
    lines = DOC.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n").splitlines()
    assert lines[0] == cal.header(cal.SIMS, [r.spread for r in rates if r.spread]), REGEN
    assert lines[1] == ""
    fresh = cal.markdown(rates).splitlines()
    assert len(lines[2:]) == len(fresh) == len(CHECKS) + 2, f"one row per shipped statistical check; {REGEN}"
    for row, want in zip(lines[2:], fresh):
        assert row == want, f"{row}: not what the generator gives now; {REGEN}"


def test_docs_state_the_alpha_every_calibrated_rule_uses() -> None:
    alphas = {cal.Simulator(s, t, c, SHIPPED).alpha for s, t, c in CHECKS}
    assert len(alphas) == 1
    assert f"alpha = {alphas.pop():g} everywhere" in DOC


def test_calibrate_runs_at_the_spread_measured_in_a_results_folder(tmp_path) -> None:
    """``python -m bench.verdicts.calibrate --records DIR``: each tier with records is simulated at
    their pooled seed sd (every seed they hold, also beyond the tier's plan)."""
    from bench.records.store import RecordStore

    suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet"), seeds=(0, 1))
    big = toy_suite(tmp_path / "more", ck("order", a="vit", b="resnet"), seeds=(0, 1, 2))  # same config, 3 seeds
    store = RecordStore(tmp_path / "results")
    for r in fake_records(big, "quick", {("resnet", 1.0): [69, 70, 71], ("vit", 1.0): [68, 70, 72]}):
        store.write(r.relpath, r)
    views = cal.record_views([suite], tmp_path / "results")
    [r0, *_] = cal.calibrate(20, [suite], records=views, baselines=SHIPPED)
    assert r0.spread is not None and r0.spread.sds == (round(math.sqrt(2.5), 4),)
    assert "measured: pooled seed sd over 2 cells" in r0.spread.source
    assert cal.calibrate(20, [suite], baselines=SHIPPED)[0].spread.sds == (0.5, 1.0)


def test_calibrate_cli_says_which_spread_is_missing_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    suite = _toy(tmp_path)
    monkeypatch.setenv("PRS_BENCH_SUITES", str(suite.path.parent))
    assert cal.main(["--sims", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no seed spread for metric 'fourier.hf_change_mixer_mean'" in err


def test_calibrate_cli_writes_the_table_between_the_markers(tmp_path, monkeypatch) -> None:
    table = '\n[spreads."fourier.hf_change_mixer_mean"]\nsd = 0.02\nunit = 0.04\nsource = "test"\n'
    suite = _toy(tmp_path, table)
    monkeypatch.setenv("PRS_BENCH_SUITES", str(suite.path.parent))
    doc = tmp_path / "STATS.md"
    doc.write_text(f"intro\n{BEGIN}old table\n{END}\noutro\n", encoding="utf-8")
    assert cal.main(["--sims", "10", "--write", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(f"intro\n{BEGIN}Cells: rate") and text.endswith(f"{END}\noutro\n")
    assert "| toy | quick | order: vit vs resnet | 3 | fourier.hf_change_mixer_mean 0.02 |" in text
    assert "old table" not in text
    doc.write_text("no markers", encoding="utf-8")
    assert cal.main(["--sims", "10", "--write", str(doc)]) == 2
