"""Render the leaderboard from stored run records alone (no training)."""

from __future__ import annotations

import argparse

from ..errors import BenchError
from ..records import RecordStore
from ..report import FORMATS, build_tables, render
from ..suite import load_suites
from .common import add_out, add_suites_dir

HELP = "render the leaderboard from stored results"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suites", nargs="*", metavar="SUITE", help="suites to show (default: all)")
    p.add_argument("--tier", action="append", default=None, help="only these tiers (repeatable)")
    p.add_argument("--format", default="github", choices=sorted(FORMATS), help="table format")
    add_out(p)
    add_suites_dir(p)


def main(args: argparse.Namespace) -> int:
    store = RecordStore(args.out)
    if not store.runs.is_dir():
        raise BenchError(f"{store.runs}: no run records; run `prs-bench run` first or pass --out")
    suites = load_suites(args.suites or None, args.suites_dir)
    arm_rows, claim_rows = build_tables(suites, store.all(), tiers=args.tier)
    print(render(arm_rows, claim_rows, args.format))
    return 0
