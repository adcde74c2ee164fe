"""Render the leaderboard from stored run records and baselines alone (no training).

With --save DIR the tables (leaderboard.md, leaderboard.json, one leaderboard-TABLE.csv per table)
and plots (PNG) are written side by side into DIR; --plots DIR writes only the plots.
--strict is the CI gate: exit 1 when a control did not come out as expected, or any check the tier expects to decide failed, came back
inconclusive or was not run (checks a suite marks `decides = false` only inform). --arms shows (and
gates) only those arms and the checks that read nothing else: the gate of a run of part of a tier.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..baselines import Baselines
from ..errors import BenchError, CheckFailed
from ..records import RecordStore
from ..report import FORMATS, TABLES, build_tables, only_arms, render, tier_reports, undecided, write_tables
from ..suite.load import Suite
from ..suite_check import load_checked_suites
from .common import add_baselines_dir, add_out, add_suites_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suites", nargs="*", metavar="SUITE", help="suites to show (default: all)")
    p.add_argument("--tier", action="append", default=None, help="only these tiers (repeatable)")
    p.add_argument(
        "--arms",
        default=None,
        metavar="ARMS",
        help="comma-separated arms: only their rows and the checks that read no other arm "
        "(gate part of a tier, as `run --arms` trained it)",
    )
    p.add_argument(
        "--format",
        default="text",
        choices=sorted(FORMATS),
        help="text: compact, fits the terminal (COLUMNS); md/github: the three tables with every column; "
        "json: all tables as tidy data; csv: one --table",
    )
    p.add_argument("--wide", action="store_true", help="every column (the same as --format github)")
    p.add_argument("--table", default="arms", choices=TABLES, help="the table --format csv prints")
    p.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write leaderboard.md, leaderboard.json, leaderboard-{arms,claims,checks}.csv "
        "and the plots into DIR (e.g. results/leaderboard)",
    )
    p.add_argument("--plots", type=Path, default=None, metavar="DIR", help="write the PNG plots into DIR")
    add_baselines_dir(p)
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 unless every check the tier expects to decide passed (failed, inconclusive, "
        "not run and missing all fail)",
    )
    add_out(p)
    add_suites_dir(p)


def _known_arms(text: str, suites: list[Suite], tiers: list[str] | None) -> list[str]:
    """The arms of ``--arms``, each defined by a shown suite tier (else one line naming it)."""
    arms = [a.strip() for a in text.split(",") if a.strip()]
    known = {a for s in suites for t in s.tiers if tiers is None or t in tiers for a in s.tier_arms(t)}
    unknown = [a for a in arms if a not in known]
    if not arms or unknown:
        raise BenchError(
            f"--arms {text!r}: {'no arm given' if not arms else 'unknown arm(s) ' + ', '.join(unknown)}; "
            f"the shown tiers have {', '.join(sorted(known)) or 'no arms'}"
        )
    return arms


def main(args: argparse.Namespace) -> int:
    store = RecordStore(args.out)
    if not store.runs.is_dir():
        raise BenchError(f"{store.runs}: no run records; run `prs-bench run` first or pass --out")
    suites = load_checked_suites(args.suites or None, args.suites_dir)
    reports = tier_reports(suites, store.all(), tiers=args.tier, baselines=Baselines(args.baselines))
    arm_rows, claim_rows = build_tables(reports)
    if args.arms is not None:
        arm_rows, claim_rows = only_arms(arm_rows, claim_rows, _known_arms(args.arms, suites, args.tier))
    print(render(arm_rows, claim_rows, "github" if args.wide else args.format, table=args.table))
    written: list[Path] = []
    if args.save:
        written += write_tables(args.save, arm_rows, claim_rows)
    plot_dir = args.plots or args.save
    if plot_dir:
        from ..report.plots import write_plots

        written += write_plots(reports, plot_dir)
    if written:
        print(f"\nwrote {len(written)} file(s) under {', '.join(sorted({str(p.parent) for p in written}))}")
    if args.strict:
        if not claim_rows:
            raise CheckFailed(
                f"--strict: no checks to decide in {store.runs}"
                + (f" for tier(s) {', '.join(args.tier)}" if args.tier else "")
            )
        open_checks = undecided(claim_rows)
        if open_checks:
            claims = [r for r in open_checks if not r.verdict.expect]
            counts = {s: sum(r.status == s for r in claims) for s in ("fail", "inconclusive", "not run")}
            counts["control(s) not as expected"] = len(open_checks) - len(claims)
            listed = "; ".join(f"{r.suite}/{r.tier} {r.name} ({r.verdict.shown()})" for r in open_checks[:5])
            more = f"; and {len(open_checks) - 5} more" if len(open_checks) > 5 else ""
            raise CheckFailed(
                f"--strict: {len(open_checks)} check(s) the tier expects to decide did not pass "
                f"({', '.join(f'{n} {s}' for s, n in counts.items() if n)}): {listed}{more}"
            )
    elif any(r.verdict.gate_status == "fail" for r in claim_rows):
        print("some checks failed (exit 0 without --strict)", file=sys.stderr)
    return 0
