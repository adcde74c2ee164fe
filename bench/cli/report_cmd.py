"""Write one self-contained HTML page of a results folder: the claims summary, each tier's arms,
checks with their numbers, plots (inline PNG), provenance, and the suite versions.

The page is built from the stored records and baselines alone, from the same tables and plots as
`prs-bench leaderboard`; it needs no network and no other file to open.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..baselines import Baselines
from ..errors import BenchError
from ..records import RecordStore
from ..suite_check import load_checked_suites
from .common import add_baselines_dir, add_suites_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", type=Path, metavar="RESULTS", help="results folder (records under RESULTS/runs/)")
    p.add_argument("--html", type=Path, required=True, metavar="PATH", help="the page to write, e.g. report.html")
    p.add_argument(
        "--suite",
        action="append",
        default=None,
        dest="suites",
        metavar="SUITE",
        help="only this suite (repeatable; default: all)",
    )
    p.add_argument("--tier", action="append", default=None, help="only these tiers (repeatable)")
    add_baselines_dir(p)
    add_suites_dir(p)


def main(args: argparse.Namespace) -> int:
    from ..report.html import build_html, write_html

    store = RecordStore(args.results)
    if not store.runs.is_dir():
        raise BenchError(f"{store.runs}: no run records; give the folder `prs-bench run --out` wrote")
    if args.html.exists() and args.html.is_dir():
        raise BenchError(f"--html {args.html}: is a folder; give a file path such as {args.html / 'report.html'}")
    suites = load_checked_suites(args.suites or None, args.suites_dir)
    page = build_html(
        suites, store.all(), tiers=args.tier, baselines=Baselines(args.baselines), source=str(args.results)
    )
    path = write_html(args.html, page)
    print(f"wrote {path} ({len(page.encode()) // 1024} KiB)")
    return 0
