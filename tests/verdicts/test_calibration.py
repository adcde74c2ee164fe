"""Every shipped check keeps its error rate at its tier's seed count (issue 12's calibration).

The null is simulated (numpy, seeded) through the same ``decide`` rule each verdict calls;
a null rate above alpha + 3 Monte-Carlo standard errors fails. The order, single-form
crossover and monotone nulls are scale-free (identical arms, no floor), so one seed spread
suffices; the order-form crossover null (X = Y crossing R along a 6-point ramp) and the
regression and band rules (a floor or a margin in points) are simulated at both ends of the
0.5-1.0 spread.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bench.baselines import Baselines
from bench.suite import load_suites
from bench.verdicts import calibrate as cal

REPO = Path(__file__).resolve().parents[2]
CHECKS = cal.shipped_checks(load_suites(suites_dir=REPO / "suites"))
SHIPPED = Baselines(REPO / "baselines")


def _id(item) -> str:
    suite, tier, check = item
    return f"{suite.name}-{tier}-{cal.check_label(check)}"


@pytest.mark.parametrize("item", CHECKS, ids=[_id(c) for c in CHECKS])
def test_null_error_rate_at_most_alpha(item) -> None:
    suite, tier, check = item
    sim = cal.Simulator(suite, tier, check, SHIPPED)
    heavy = check["kind"] == "crossover" and "arms" in check
    sims = 1000 if heavy else 2000
    spreads = (0.5, 1.0) if check["kind"] in ("regression", "band") or heavy else (1.0,)
    for scen, counted, truth, kw in sim.scenarios():
        if scen != "null" or (check["kind"] == "regression" and counted == "pass"):
            continue
        for sd in spreads:
            st = sim.statuses(np.random.default_rng(7), truth, sd, sims, **kw)
            rate = float(np.mean(st == counted))
            bound = sim.alpha + 3 * math.sqrt(sim.alpha * (1 - sim.alpha) / sims)
            assert rate <= bound, f"{_id(item)}: null {counted} rate {rate:.3f} > {bound:.3f} at sd {sd}"


def test_every_shipped_band_is_an_equivalence_test() -> None:
    bands = [c for _, _, c in CHECKS if c["kind"] == "band"]
    assert bands and all(c.get("equivalence") for c in bands)


def test_power_is_reported_for_every_check() -> None:
    suite, tier, check = next(c for c in CHECKS if c[2]["kind"] == "order" and c[1] == "full")
    rates = cal.Simulator(suite, tier, check, SHIPPED).rates(sims=500, spreads=(1.0,))
    power = [r for r in rates if r.scenario == "order"]
    assert power and 0.5 < power[0].rate <= 1.0
    table = cal.markdown(rates)
    assert "| cifar100-prs | full | order C6: prs vs convit | 5 |" in table


DOC = (REPO / "docs" / "STATISTICS.md").read_text(encoding="utf-8")
BEGIN, END = "<!-- calibration table: python -m bench.verdicts.calibrate -->\n", "<!-- end of calibration table -->"


def _is_order_form(check) -> bool:
    return check["kind"] == "crossover" and "arms" in check


def test_docs_table_is_the_generators_output() -> None:
    """docs/STATISTICS.md carries `python -m bench.verdicts.calibrate`'s output: its header (simulations,
    spreads, effects) and one row per shipped statistical check, in order, with its seed count. Every
    row but the C2 order form's is regenerated here (seed 0, the table's simulations) and must match
    to the digit; the order form's permutation tests are most of the generator's half-minute run, so its
    rows are tied by their label, seed count and the rule test (tests/verdicts/test_rules.py) instead."""
    assert BEGIN in DOC and END in DOC, "docs/STATISTICS.md lost its calibration table markers"
    lines = DOC.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n").splitlines()
    assert lines[0] == cal.header(), "the table's header is not the generator's: regenerate the table"
    assert lines[1] == ""
    table = lines[2:]
    fresh = cal.markdown(
        [r for s, t, c in CHECKS if not _is_order_form(c) for r in cal.Simulator(s, t, c, SHIPPED).rates(cal.SIMS)]
    ).splitlines()
    assert table[:2] == fresh[:2]
    rows = table[2:]
    assert len(rows) == len(CHECKS), "one row per shipped statistical check"
    fresh_rows = iter(fresh[2:])
    for row, (suite, tier, check) in zip(rows, CHECKS):
        seeds = len(suite.tier(tier)["seeds"])
        assert row.startswith(f"| {suite.name} | {tier} | {cal.check_label(check)} | {seeds} |"), row
        if not _is_order_form(check):
            assert row == next(fresh_rows), f"{row}: not what the generator gives now; regenerate the table"


def test_docs_state_the_alpha_every_calibrated_rule_uses() -> None:
    alphas = {cal.Simulator(s, t, c, SHIPPED).alpha for s, t, c in CHECKS}
    assert len(alphas) == 1
    assert f"alpha = {alphas.pop():g} everywhere" in DOC
