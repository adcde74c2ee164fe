"""Monte-Carlo error rates and power of every shipped check, at its tier's seed count.

Each check's table is read by the check's own ``Rule.parse`` (``RULES``: the parameters and
defaults the verdicts use, never a copy), and its decision rule (the ``decide`` functions the
verdicts themselves call) runs on simulated seed values (numpy, seeded), a whole batch of
simulated evaluations at once:

- **null**: no effect (the arms a claim compares are identical; a rerun comes from the reference
  distribution; a band's arm sits exactly on the edge of its equivalence margin), seed spread
  ``sd`` points. The rate of a *wrong* verdict is measured: a pass for a claim or a band, a fail
  for a regression check (a false alarm), and a fail for a claim whose arms are identical.
- **effect**: a stated effect (``EFFECTS``); the rate of the right verdict is the power.

``python -m bench.verdicts.calibrate`` prints the table docs/STATISTICS.md carries;
tests/verdicts/test_calibration.py asserts every null rate is at most alpha plus three
Monte-Carlo standard errors, for every shipped tier, and that the docs table is this output.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..baselines import Baselines
from ..records.view import build_tier_view
from ..suite import Suite, load_suites
from . import band, crossover, monotone, order, regression
from .registry import RULES

SPREADS = (0.5, 1.0)  # seed sd in points of top-1 (CIFAR-100, docs/SOURCES.md)
SIMS = 2000  # simulated evaluations per scenario and spread in the docs/STATISTICS.md table
BASE = 70.0  # the level of the simulated accuracies; every rule is shift-invariant
EFFECTS = {
    "order": "a ahead of b by 2 points",
    "crossover": "b ahead by 3 points at the smallest fraction, a by 3 at the largest (linear in log f)",
    "crossover-order": "Y - R as in crossover; X = Y + 2 points at every fraction, so X crosses R first",
    "monotone": "the arms rise linearly in sweep order, 3 points from first to last",
    "regression": "every rerun seed 2 points worse than the reference",
    "collapse": "one rerun seed collapsed to 40% (reference at 70%)",
    "band": "the arm's true mean equals the reference",
}
STATISTICAL = ("order", "crossover", "monotone", "regression", "band")  # health is a pipeline check


@dataclass(frozen=True)
class Rate:
    suite: str
    tier: str
    check: str  # readable check id
    kind: str
    seeds: int
    scenario: str  # "null" or the effect's key
    sd: float
    counted: str  # the status counted ("pass" or "fail")
    rate: float
    se: float  # Monte-Carlo standard error of ``rate``
    alpha: float
    sims: int

    @property
    def is_error(self) -> bool:
        return self.scenario == "null"


def check_label(check: dict[str, Any]) -> str:
    kind = check["kind"]
    claim = f" {check['claim']}" if check.get("claim") else ""
    if kind == "crossover" and "arms" in check:
        return f"crossover{claim} (order): {check['arms'][0]} before {check['arms'][1]} vs {check['reference_arm']}"
    if kind in ("order", "crossover"):
        return f"{kind}{claim}: {check['a']} vs {check['b']}"
    if kind == "band":
        ref = check.get("reference", check.get("reference_arm"))
        return f"band: {check.get('arm', check.get('arms'))} vs {ref}"
    if kind == "monotone":
        return f"monotone{claim}: {len(check['arms'])} arms"
    return kind


Truth = Callable[[str, float], float]


class Simulator:
    """One shipped check's decision rule on batches of simulated seed values."""

    def __init__(self, suite: Suite, tier: str, check: dict[str, Any], baselines: Baselines | None = None) -> None:
        self.suite, self.tier, self.check = suite, tier, check
        self.kind = check["kind"]
        t = suite.tier(tier)
        self.seeds = len(t["seeds"])
        self.fractions = sorted(float(f) for f in t.get("fractions", [1.0]))
        self.baselines = baselines if baselines is not None else Baselines()
        # the rule the check itself judges with: its parameters and defaults, read by its own parser
        self.view = build_tier_view(suite, tier, [])
        self.rule = RULES.get(self.kind)(check, self.view, self.baselines)
        self.alpha = float(getattr(self.rule, "alpha", math.nan))

    def draw(self, rng: np.random.Generator, truth: Truth, arm: str, f: float, sd: float, sims: int) -> np.ndarray:
        return truth(arm, f) + sd * rng.standard_normal((sims, self.seeds))

    def statuses(
        self,
        rng: np.random.Generator,
        truth: Truth,
        sd: float,
        sims: int,
        ref_truth: Truth | None = None,
        collapse: bool = False,
    ) -> np.ndarray:
        """Statuses of ``sims`` simulated evaluations (one per simulation: the first fraction it judges)."""
        rule, a = self.rule, self.alpha
        d = lambda arm, f=self.fractions[-1]: self.draw(rng, truth, arm, f, sd, sims)  # noqa: E731
        if isinstance(rule, order.Rule):
            return order.decide(d(rule.a), d(rule.b), a, rule.margin)[0]
        if isinstance(rule, crossover.Rule) and rule.is_order:
            x, y = rule.arms
            r = rule.reference_arm
            out = []
            for lo in range(0, sims, 250):
                n = min(250, sims - lo)
                cells = {arm: [self.draw(rng, truth, arm, f, sd, n) for f in self.fractions] for arm in (x, y, r)}
                out.append(
                    crossover.decide_order(
                        cells[x], cells[y], cells[r], self.fractions, a, rule.log, rule.permutations, rule.seed
                    )[0]
                )
            return np.concatenate(out)
        if isinstance(rule, crossover.Rule):
            f0, f1 = self.fractions[0], self.fractions[-1]
            return crossover.decide_single(d(rule.b, f0), d(rule.a, f0), d(rule.a, f1), d(rule.b, f1), a)[0]
        if isinstance(rule, monotone.Rule):
            return monotone.decide([d(arm) for arm in rule.arms], rule.direction, rule.tolerance, a, rule.between)[0]
        if isinstance(rule, regression.Rule):
            rerun = d(rule.arms[0])
            if collapse:
                rerun[:, 0] = 40.0
            assert ref_truth is not None
            return rule.decide(rerun, self.draw(rng, ref_truth, rule.arms[0], self.fractions[-1], sd, sims))[0]
        if isinstance(rule, band.Rule):
            if not rule.equivalence:
                raise ValueError(
                    f"{self.suite.name} {self.tier} {check_label(self.check)}: not an equivalence band "
                    "(equivalence = true): its pass has no error rate to calibrate"
                )
            arm, f = rule.arms[0], self.view.fractions()[rule.labels[-1]]
            if rule.ref_arm is not None:
                return band.decide_equivalence(d(arm, f), d(rule.ref_arm, f), rule.margin, a)[0]
            assert rule.rep is not None
            return band.decide_equivalence(d(arm, f), rule.rep.value, rule.margin, a)[0]
        raise ValueError(f"no calibration for check kind {self.kind!r}")

    def scenarios(self) -> list[tuple[str, str, Truth, dict[str, Any]]]:
        """(scenario, status counted, truth, extra kwargs for ``statuses``) for this check's kind."""
        rule, fr = self.rule, self.fractions
        flat: Truth = lambda arm, f: BASE  # noqa: E731

        def ramp(lo: float, hi: float) -> Callable[[float], float]:
            x0, x1 = math.log10(fr[0]), math.log10(fr[-1])
            return lambda f: lo + (hi - lo) * ((math.log10(f) - x0) / (x1 - x0) if x1 > x0 else 1.0)

        if isinstance(rule, order.Rule):
            a = rule.a
            eff: Truth = lambda arm, f: BASE + (2.0 if arm == a else 0.0)  # noqa: E731
            return [("null", "pass", flat, {}), ("null", "fail", flat, {}), ("order", "pass", eff, {})]
        if isinstance(rule, crossover.Rule) and rule.is_order:
            x, ref = rule.arms[0], rule.reference_arm
            dr = ramp(-3.0, 3.0)
            null: Truth = lambda arm, f: BASE + (0.0 if arm == ref else dr(f))  # noqa: E731
            effx: Truth = lambda arm, f: null(arm, f) + (2.0 if arm == x else 0.0)  # noqa: E731
            return [("null", "pass", null, {}), ("null", "fail", null, {}), ("crossover-order", "pass", effx, {})]
        if isinstance(rule, crossover.Rule):
            a = rule.a
            dr = ramp(-3.0, 3.0)
            effc: Truth = lambda arm, f: BASE + (dr(f) if arm == a else 0.0)  # noqa: E731
            return [("null", "pass", flat, {}), ("null", "fail", flat, {}), ("crossover", "pass", effc, {})]
        if isinstance(rule, monotone.Rule):
            arms = rule.arms
            s = 1.0 if rule.direction == "increasing" else -1.0
            effm: Truth = lambda arm, f: BASE + s * 3.0 * arms.index(arm) / (len(arms) - 1)  # noqa: E731
            return [("null", "pass", flat, {}), ("null", "fail", flat, {}), ("monotone", "pass", effm, {})]
        if isinstance(rule, regression.Rule):
            worse: Truth = lambda arm, f: BASE - 2.0  # noqa: E731
            return [
                ("null", "fail", flat, {"ref_truth": flat}),
                ("null", "pass", flat, {"ref_truth": flat}),
                ("regression", "fail", worse, {"ref_truth": flat}),
                ("collapse", "fail", flat, {"ref_truth": flat, "collapse": True}),
            ]
        if isinstance(rule, band.Rule):
            margin = rule.margin
            if rule.ref_arm is not None:
                ref_arm = rule.ref_arm
                edge: Truth = lambda arm, f: BASE + (0.0 if arm == ref_arm else margin)  # noqa: E731
                return [("null", "pass", edge, {}), ("band", "pass", flat, {})]
            assert rule.rep is not None
            value = rule.rep.value
            return [("null", "pass", lambda arm, f: value + margin, {}), ("band", "pass", lambda arm, f: value, {})]
        return []

    def rates(self, sims: int, spreads: tuple[float, ...] = SPREADS, seed: int = 0) -> list[Rate]:
        out = []
        for scen, counted, truth, kw in self.scenarios():
            for sd in spreads:
                st = self.statuses(np.random.default_rng(seed), truth, sd, sims, **kw)
                p = float(np.mean(st == counted))
                se = math.sqrt(max(p * (1 - p), 1e-12) / sims)
                out.append(
                    Rate(
                        self.suite.name,
                        self.tier,
                        check_label(self.check),
                        self.kind,
                        self.seeds,
                        scen,
                        sd,
                        counted,
                        p,
                        se,
                        self.alpha,
                        sims,
                    )
                )
        return out


def shipped_checks(suites: list[Suite] | None = None) -> list[tuple[Suite, str, dict[str, Any]]]:
    """Every statistical check table of every shipped suite tier."""
    out = []
    for suite in suites if suites is not None else load_suites():
        for tier, t in suite.tiers.items():
            for check in t.get("checks", []):
                if check["kind"] in STATISTICAL:
                    out.append((suite, tier, check))
    return out


def calibrate(
    sims: int = SIMS, spreads: tuple[float, ...] = SPREADS, suites: list[Suite] | None = None, seed: int = 0
) -> list[Rate]:
    rates: list[Rate] = []
    for suite, tier, check in shipped_checks(suites):
        rates += Simulator(suite, tier, check).rates(sims, spreads, seed)
    return rates


def markdown(rates: list[Rate]) -> str:
    """The table docs/STATISTICS.md carries: one row per check, null error rates and power."""
    rows: dict[tuple[str, str, str, int], dict[str, str]] = {}
    for r in rates:
        row = rows.setdefault((r.suite, r.tier, r.check, r.seeds), {})
        if r.is_error and r.kind == "regression" and r.counted == "pass":
            key = "null pass"  # a regression check's pass under no effect is right; shown for its power
        else:
            key = ("false " + r.counted) if r.is_error else f"power ({r.scenario})"
        cell = row.get(key, "")
        row[key] = (cell + " / " if cell else "") + f"{100 * r.rate:.1f}"
    lines = [
        "| suite | tier | check | seeds | null: false pass % | null: false fail % | power % (effect) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (suite, tier, check, seeds), row in rows.items():
        power = "; ".join(f"{v} ({k[7:-1]})" for k, v in row.items() if k.startswith("power"))
        if "null pass" in row:
            power += f"; pass under no effect: {row['null pass']}"
        lines.append(
            f"| {suite} | {tier} | {check} | {seeds} | {row.get('false pass', '-')} | "
            f"{row.get('false fail', '-')} | {power or '-'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.verdicts.calibrate", description=__doc__.splitlines()[0])
    p.add_argument("--sims", type=int, default=SIMS, help="simulated evaluations per scenario and spread")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rates = calibrate(args.sims, seed=args.seed)
    print(header(args.sims) + "\n")
    print(markdown(rates))
    return 0


def header(sims: int = SIMS, spreads: tuple[float, ...] = SPREADS) -> str:
    """The line above the table: what a cell holds and the effects simulated (no simulation needed)."""
    return (
        f"Cells: rate at seed sd {' / '.join(f'{s:g}' for s in spreads)} points; {sims} simulations "
        f"each (Monte-Carlo se <= {50 / math.sqrt(sims):.1f} points of %). Effects: "
        + "; ".join(f"{k}: {v}" for k, v in EFFECTS.items())
        + "."
    )


if __name__ == "__main__":
    sys.exit(main())
