"""Render the leaderboard from stored run records and baselines alone (no training).

With --save DIR the tables (md, csv, json) and plots (PNG) are written side by side into DIR;
--plots DIR writes only the plots. --strict exits 1 when any verdict failed (the CI gate).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..baselines import Baselines
from ..errors import BenchError, CheckFailed
from ..records import RecordStore
from ..report import FORMATS, build_tables, render, write_tables
from ..suite import load_suites
from .common import add_out, add_suites_dir

HELP = "render the leaderboard from stored results"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suites", nargs="*", metavar="SUITE", help="suites to show (default: all)")
    p.add_argument("--tier", action="append", default=None, help="only these tiers (repeatable)")
    p.add_argument("--format", default="github", choices=sorted(FORMATS), help="table format")
    p.add_argument("--save", type=Path, default=None, metavar="DIR",
                   help="also write leaderboard.{md,csv,json} and the plots into DIR (e.g. results/leaderboard)")
    p.add_argument("--plots", type=Path, default=None, metavar="DIR", help="write the PNG plots into DIR")
    p.add_argument("--baselines", type=Path, default=None, metavar="DIR",
                   help="baselines folder (default: $PRS_BENCH_BASELINES, ./baselines or the checkout's)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any verdict failed")
    add_out(p)
    add_suites_dir(p)


def main(args: argparse.Namespace) -> int:
    store = RecordStore(args.out)
    if not store.runs.is_dir():
        raise BenchError(f"{store.runs}: no run records; run `prs-bench run` first or pass --out")
    suites = load_suites(args.suites or None, args.suites_dir)
    records = store.all()
    arm_rows, claim_rows = build_tables(suites, records, tiers=args.tier, baselines=Baselines(args.baselines))
    print(render(arm_rows, claim_rows, args.format))
    written: list[Path] = []
    if args.save:
        written += write_tables(args.save, arm_rows, claim_rows)
    plot_dir = args.plots or args.save
    if plot_dir:
        from ..report.plots import write_plots

        written += write_plots(suites, records, plot_dir, tiers=args.tier, baselines=Baselines(args.baselines))
    if written:
        print(f"\nwrote {len(written)} file(s) under {', '.join(sorted({str(p.parent) for p in written}))}")
    failed = [r for r in claim_rows if r["Verdict"] == "fail"]
    if args.strict and failed:
        raise CheckFailed(f"{len(failed)} check(s) failed: " + "; ".join(r["Check"] for r in failed[:5]))
    return 0
