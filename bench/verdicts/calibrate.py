"""Monte-Carlo error rates and power of every shipped check, at its tier's seed count and at
the seed spread of the metric it reads.

Each check's table is read by the check's own ``Rule.parse`` (``RULES``: the parameters and
defaults the verdicts use, never a copy), and its decision rule (the ``decide`` functions the
verdicts themselves call) runs on simulated seed values (numpy, seeded), a whole batch of
simulated evaluations at once:

- **spread**: the seed sd of the check's metric (``bench.verdicts.spreads``: measured from
  records with ``--records``, else declared in the suite, else the top-1 default); effects are
  stated in the metric's units (``unit``);
- **null**: the least-favourable null of the check's kind (``NULLS``): the truth at the boundary
  of "no effect" where a wrong verdict is most likely, e.g. for C2 two arms crossing the
  reference at the same fraction with 4x different slopes. Where a kind has several such
  boundaries the rate shown is the largest over them. The rate of a *wrong* verdict is measured:
  a pass for a claim or a band, a fail for a regression check (a false alarm) or a claim;
- **effect**: a stated effect (``EFFECTS``); the rate of the right verdict is the power.

``python -m bench.verdicts.calibrate`` prints the table docs/STATISTICS.md carries;
tests/verdicts/test_calibration.py asserts every null rate is at most alpha plus three
Monte-Carlo standard errors, for every shipped tier, and that the docs table is this output.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..baselines import Baselines
from ..errors import BenchError
from ..records.view import TierView, build_tier_view
from ..suite import Suite, load_suites
from . import band, crossover, monotone, order, regression
from .registry import RULES
from .spreads import Spread, spread_for

SIMS = 2000  # simulated evaluations per scenario and spread in the docs/STATISTICS.md table
BASE = 70.0  # the level of the simulated values; every rule is shift-invariant
FAR = 10.0  # units: "far ahead" in a least-favourable null (the other condition holds for sure)
EFFECTS = {
    "order": "a ahead of b by 2 units",
    "crossover": "b ahead by 3 units at the smallest fraction, a by 3 at the largest (linear in log f)",
    "crossover-order": "Y - R rises linearly in log f from -3 to +3 units; X = Y + 2 units at every fraction, "
    "so X crosses R first, 1/3 of the range earlier",
    "crossover-order-4": "as crossover-order with X = Y + 4 units: X crosses 2/3 of the range earlier, just "
    "before the smallest fraction",
    "monotone": "the arms rise linearly in sweep order, 3 units from first to last",
    "regression": "every rerun seed 2 units worse than the reference",
    "collapse": "one rerun seed 30 units below the reference",
    "band": "the arm's true mean equals the reference",
}
NULLS = {
    "order": "a = b + margin",
    "crossover": f"b ahead by {FAR:g} units at the smallest fraction and even at the largest, or the mirror",
    "crossover-order": "X, Y cross R at one fraction, slopes 4x apart; or neither crosses (R ahead at the "
    "smallest fraction, even at the largest)",
    "monotone": "the middle step reverses by exactly the tolerance, the others rise (3 units first to last)",
    "regression": "rerun = reference",
    "band": "true difference = margin",
}
BEGIN = "<!-- calibration table: python -m bench.verdicts.calibrate -->\n"  # the table's markers in the docs
END = "<!-- end of calibration table -->"
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
    spread: Spread | None = None
    null: str = ""  # the least-favourable null simulated (``NULLS``)

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
        arms = check["arms"]
        return f"monotone{claim}: {arms[0]} .. {arms[-1]} ({len(arms)} arms)"
    return kind


Truth = Callable[[str, float], float]


@dataclass(frozen=True)
class Scenario:
    """One row cell: the status counted under ``truths`` (the rate is the largest over them)."""

    name: str  # "null" or an effect key
    counted: str
    truths: tuple[Truth, ...]
    kw: dict[str, Any] = field(default_factory=dict)


def _kind_key(rule: Any) -> str:
    if isinstance(rule, crossover.Rule):
        return "crossover-order" if rule.is_order else "crossover"
    return rule.__class__.__module__.rsplit(".", 1)[-1]


class Simulator:
    """One shipped check's decision rule on batches of simulated seed values."""

    def __init__(
        self,
        suite: Suite,
        tier: str,
        check: dict[str, Any],
        baselines: Baselines | None = None,
        records: TierView | None = None,
    ) -> None:
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
        self.spread = spread_for(suite, self.rule.metric, records, tier=tier)
        self.unit = self.spread.unit

    def signature(self) -> str:
        """What the simulation depends on: the rule's parameters with arm names replaced by their
        order of appearance, the seed count, fractions and spread. Checks that share it share rates."""
        names: dict[str, str] = {}

        def canon(v: Any) -> Any:
            if isinstance(v, str) and v in self.view.arms:
                return names.setdefault(v, f"arm{len(names)}")
            return tuple(canon(x) for x in v) if isinstance(v, (tuple, list)) else v

        fields = [(f.name, canon(getattr(self.rule, f.name))) for f in dataclasses.fields(self.rule)]
        return repr((type(self.rule).__module__, fields, self.seeds, self.fractions, self.spread.sds, self.spread.unit))

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
            cells = {arm: [d(arm, f) for f in self.fractions] for arm in (x, y, rule.reference_arm)}
            return crossover.decide_order(
                cells[x], cells[y], cells[rule.reference_arm], self.fractions, a, rule.log
            ).status
        if isinstance(rule, crossover.Rule):
            f0, f1 = self.fractions[0], self.fractions[-1]
            return crossover.decide_single(d(rule.b, f0), d(rule.a, f0), d(rule.a, f1), d(rule.b, f1), a)[0]
        if isinstance(rule, monotone.Rule):
            return monotone.decide([d(arm) for arm in rule.arms], rule.direction, rule.tolerance, a, rule.between)[0]
        if isinstance(rule, regression.Rule):
            rerun = d(rule.arms[0])
            if collapse:
                rerun[:, 0] = BASE - 30.0 * self.unit
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

    def scenarios(self) -> list[Scenario]:
        """This check's least-favourable nulls (``NULLS``) and stated effect (``EFFECTS``), in its units."""
        rule, fr, u = self.rule, self.fractions, self.unit
        flat: Truth = lambda arm, f: BASE  # noqa: E731
        x0, x1 = math.log10(fr[0]), math.log10(fr[-1])

        def at(f: float) -> float:
            """Position of f along the range, 0 at the smallest fraction and 1 at the largest."""
            return (math.log10(f) - x0) / (x1 - x0) if x1 > x0 else 1.0

        if isinstance(rule, order.Rule):
            a, m = rule.a, rule.margin
            edge: Truth = lambda arm, f: BASE + (m if arm == a else 0.0)  # noqa: E731
            eff: Truth = lambda arm, f: BASE + (2.0 * u if arm == a else 0.0)  # noqa: E731
            return [
                Scenario("null", "pass", (edge,)),
                Scenario("null", "fail", (flat,)),
                Scenario("order", "pass", (eff,)),
            ]
        if isinstance(rule, crossover.Rule) and rule.is_order:
            x, y = rule.arms[0], rule.arms[1]

            def pair(gx: Callable[[float], float], gy: Callable[[float], float]) -> Truth:
                return lambda arm, f: BASE + (gx(f) if arm == x else gy(f) if arm == y else 0.0)

            def line(rise: float, cross: float) -> Callable[[float], float]:
                return lambda f: rise * u * (at(f) - cross)

            nulls: list[Truth] = []
            for cross in (0.3, 0.5):
                for rise in (6.0, 60.0):
                    nulls += [
                        pair(line(rise, cross), line(rise / 4, cross)),
                        pair(line(rise / 4, cross), line(rise, cross)),
                    ]
            for lead in (3.0, 12.0):
                nulls += [pair(line(lead, 1.0), line(lead / 4, 1.0)), pair(line(lead / 4, 1.0), line(lead, 1.0))]
            gy = line(6.0, 0.5)
            effx = pair(lambda f: gy(f) + 2.0 * u, gy)
            effx4 = pair(lambda f: gy(f) + 4.0 * u, gy)
            return [
                Scenario("null", "pass", tuple(nulls)),
                Scenario("null", "fail", tuple(nulls)),
                Scenario("crossover-order", "pass", (effx,)),
                Scenario("crossover-order-4", "pass", (effx4,)),
            ]
        if isinstance(rule, crossover.Rule):
            a, b = rule.a, rule.b
            far = FAR * u
            # one end of the intersection-union test at its boundary, the other certain
            small: Truth = lambda arm, f: BASE + (far * (1 - at(f)) if arm == b else 0.0)  # noqa: E731
            large: Truth = lambda arm, f: BASE + (far * at(f) if arm == a else 0.0)  # noqa: E731
            small_r: Truth = lambda arm, f: BASE + (far * (1 - at(f)) if arm == a else 0.0)  # noqa: E731
            large_r: Truth = lambda arm, f: BASE + (far * at(f) if arm == b else 0.0)  # noqa: E731
            effc: Truth = lambda arm, f: BASE + (3.0 * u * (2 * at(f) - 1) if arm == a else 0.0)  # noqa: E731
            return [
                Scenario("null", "pass", (small, large)),
                Scenario("null", "fail", (small_r, large_r)),
                Scenario("crossover", "pass", (effc,)),
            ]
        if isinstance(rule, monotone.Rule):
            arms, tol = rule.arms, rule.tolerance
            s = 1.0 if rule.direction == "increasing" else -1.0
            k = len(arms)
            bad = (k - 2) // 2  # the middle step reverses by exactly the tolerance, the others rise
            rise = (3.0 * u + tol) / (k - 2) if k > 2 else 0.0
            level = np.cumsum([0.0] + [-tol if i == bad else rise for i in range(k - 1)])
            edge_m: Truth = lambda arm, f: BASE + s * float(level[arms.index(arm)])  # noqa: E731
            effm: Truth = lambda arm, f: BASE + s * 3.0 * u * arms.index(arm) / (k - 1)  # noqa: E731
            return [
                Scenario("null", "pass", (edge_m,)),
                Scenario("null", "fail", (edge_m,)),
                Scenario("monotone", "pass", (effm,)),
            ]
        if isinstance(rule, regression.Rule):
            worse: Truth = lambda arm, f: BASE - 2.0 * u  # noqa: E731
            refkw: dict[str, Any] = {"ref_truth": flat}
            return [
                Scenario("null", "fail", (flat,), refkw),
                Scenario("null", "pass", (flat,), refkw),
                Scenario("regression", "fail", (worse,), refkw),
                Scenario("collapse", "fail", (flat,), {**refkw, "collapse": True}),
            ]
        if isinstance(rule, band.Rule):
            margin = rule.margin
            if rule.ref_arm is not None:
                ref_arm = rule.ref_arm
                edge_b: Truth = lambda arm, f: BASE + (0.0 if arm == ref_arm else margin)  # noqa: E731
                return [Scenario("null", "pass", (edge_b,)), Scenario("band", "pass", (flat,))]
            assert rule.rep is not None
            value = rule.rep.value
            return [
                Scenario("null", "pass", (lambda arm, f: value + margin,)),
                Scenario("band", "pass", (lambda arm, f: value,)),
            ]
        return []

    def rates(self, sims: int, seed: int = 0, spreads: tuple[float, ...] | None = None) -> list[Rate]:
        """Every scenario at every sd of the metric's spread (or ``spreads``); a scenario with
        several truths reports its largest rate. One simulation per (truth, sd) serves both
        statuses counted under it."""
        out = []
        memo: dict[tuple[int, float, bool], np.ndarray] = {}
        kind = _kind_key(self.rule)
        for sc in self.scenarios():
            for sd in spreads or self.spread.sds:
                p = 0.0
                for truth in sc.truths:
                    key = (id(truth), sd, bool(sc.kw.get("collapse")))
                    if key not in memo:
                        memo[key] = self.statuses(np.random.default_rng(seed), truth, sd, sims, **sc.kw)
                    p = max(p, float(np.mean(memo[key] == sc.counted)))
                se = math.sqrt(max(p * (1 - p), 1e-12) / sims)
                out.append(
                    Rate(
                        self.suite.name,
                        self.tier,
                        check_label(self.check),
                        self.kind,
                        self.seeds,
                        sc.name,
                        sd,
                        sc.counted,
                        p,
                        se,
                        self.alpha,
                        sims,
                        self.spread,
                        NULLS.get(kind, ""),
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


def record_views(suites: list[Suite], results: Path) -> dict[tuple[str, str], TierView]:
    """Per (suite, tier): a view of the records under ``results`` with every seed they hold, so the
    measured spread pools all of them (the tier's plan may list fewer seeds)."""
    from ..records.store import collect_records

    records = collect_records([results])
    out = {}
    for suite in suites:
        for tier in suite.tiers:
            mine = [r for r in records if (r.suite, r.version, r.tier) == (suite.name, suite.version, tier)]
            if mine:
                out[(suite.name, tier)] = build_tier_view(suite, tier, mine, seeds=sorted({r.seed for r in mine}))
    return out


def calibrate(
    sims: int = SIMS,
    suites: list[Suite] | None = None,
    seed: int = 0,
    records: dict[tuple[str, str], TierView] | None = None,
    baselines: Baselines | None = None,
) -> list[Rate]:
    rates: list[Rate] = []
    done: dict[str, list[Rate]] = {}  # identical simulations (same rule up to arm names) run once
    for suite, tier, check in shipped_checks(suites):
        view = (records or {}).get((suite.name, tier))
        sim = Simulator(suite, tier, check, baselines, view)
        key = sim.signature()
        if key not in done:
            done[key] = sim.rates(sims, seed)
        label = check_label(check)
        rates += [dataclasses.replace(r, suite=suite.name, tier=tier, check=label) for r in done[key]]
    return rates


def markdown(rates: list[Rate]) -> str:
    """The table docs/STATISTICS.md carries: one row per check, its spread and least-favourable
    null, null error rates and power."""
    rows: dict[tuple[str, str, str, int, str, str], dict[str, str]] = {}
    for r in rates:
        spread = f"{r.spread.metric} {r.spread.cell()}" if r.spread else "-"
        row = rows.setdefault((r.suite, r.tier, r.check, r.seeds, spread, r.null), {})
        if r.is_error and r.kind == "regression" and r.counted == "pass":
            key = "null pass"  # a regression check's pass under no effect is right; shown for its power
        else:
            key = ("false " + r.counted) if r.is_error else f"power ({r.scenario})"
        cell = row.get(key, "")
        row[key] = (cell + " / " if cell else "") + f"{100 * r.rate:.1f}"
    lines = [
        "| suite | tier | check | seeds | metric: seed sd | least-favourable null | null: false pass % "
        "| null: false fail % | power % (effect) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (suite, tier, check, seeds, spread, null), row in rows.items():
        power = "; ".join(f"{v} ({k[7:-1]})" for k, v in row.items() if k.startswith("power"))
        if "null pass" in row:
            power += f"; pass under no effect: {row['null pass']}"
        lines.append(
            f"| {suite} | {tier} | {check} | {seeds} | {spread} | {null or '-'} | {row.get('false pass', '-')} | "
            f"{row.get('false fail', '-')} | {power or '-'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.verdicts.calibrate", description=__doc__.splitlines()[0])
    p.add_argument("--sims", type=int, default=SIMS, help="simulated evaluations per scenario and spread")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--write",
        type=Path,
        metavar="DOC",
        help="replace the table between DOC's calibration markers (docs/STATISTICS.md) instead of printing it",
    )
    p.add_argument(
        "--records",
        type=Path,
        help="results folder: simulate each tier at the seed sd measured in its records (where a cell has >= 2 seeds)",
    )
    args = p.parse_args(argv)
    try:
        suites = load_suites()
        views = record_views(suites, args.records) if args.records else None
        rates = calibrate(args.sims, suites, seed=args.seed, records=views)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = header(args.sims, [r.spread for r in rates if r.spread]) + "\n\n" + markdown(rates) + "\n"
    if args.write is None:
        print(text, end="")
        return 0
    try:
        doc = args.write.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: {args.write}: cannot read ({exc.strerror})", file=sys.stderr)
        return 2
    if BEGIN not in doc or END not in doc.split(BEGIN, 1)[1]:
        print(f"error: {args.write}: no calibration markers ({BEGIN.strip()} ... {END})", file=sys.stderr)
        return 2
    head, rest = doc.split(BEGIN, 1)
    args.write.write_text(head + BEGIN + text + END + rest.split(END, 1)[1], encoding="utf-8")
    print(f"wrote the calibration table ({len(rates)} rates) into {args.write}")
    return 0


def header(sims: int = SIMS, spreads: list[Spread] | None = None) -> str:
    """The line above the table: what a cell holds, the spreads' sources and the effects (no simulation)."""
    if spreads is None:
        spreads = [spread_for(s, _metric(s, t, c), tier=t) for s, t, c in shipped_checks()]
    seen: dict[tuple[str, str], Spread] = {}
    for sp in spreads:
        seen.setdefault((sp.metric, sp.source), sp)
    sources = "; ".join(f"{sp.metric} {sp.cell()} (unit {sp.unit:g}; {sp.source})" for sp in seen.values())
    return (
        f"Cells: rate at each seed sd of the row's metric ({sources}); {sims} simulations each "
        f"(Monte-Carlo se <= {50 / math.sqrt(sims):.1f} points of %). Effects, in units of the metric: "
        + "; ".join(f"{k}: {v}" for k, v in EFFECTS.items())
        + "."
    )


def _metric(suite: Suite, tier: str, check: dict[str, Any]) -> str:
    return str(RULES.get(check["kind"])(check, build_tier_view(suite, tier, []), Baselines()).metric)


if __name__ == "__main__":
    sys.exit(main())
