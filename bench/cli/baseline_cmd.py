"""Baselines: add this project's runs as reference runs, or list reported numbers and reference sets.

`prs-bench baseline add RESULTS...` takes results folders (with runs/ inside), runs/ folders or
record files; it refuses mixed suite versions, stale configs and config changes (see
docs/STATISTICS.md). `prs-bench baseline list` shows every reported number with its source and
every reference set with its run counts.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tabulate import tabulate

from ..baselines import Baselines
from ..errors import BenchError
from ..records import RunRecord, collect_records
from ..suite import discover, plan_runs
from ..suite_check import load_checked_suite
from .common import add_baselines_dir, add_suites_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add complete run records as reference runs")
    add.add_argument(
        "results", nargs="+", type=Path, metavar="RESULTS", help="results folders, runs/ folders or record JSON files"
    )
    add.add_argument(
        "--replace", action="store_true", help="drop stored reference runs whose config differs from the added ones"
    )
    add.add_argument("--suite", action="append", default=None, help="only records of these suites (repeatable)")
    add.add_argument("--tier", action="append", default=None, help="only records of these tiers (repeatable)")
    add_suites_dir(add)
    lst = sub.add_parser("list", help="list reported numbers and reference sets")
    lst.add_argument("--format", default="github", choices=["github", "md", "csv"], help="table format")
    for sp in (add, lst):
        add_baselines_dir(sp)


def _stale_check(suites_dir: Path | None) -> Callable[[RunRecord], str | None]:
    """Why a record cannot be a reference run of the current suite (None: it can)."""
    try:
        found = discover(suites_dir)
    except BenchError:
        found = {}
    cache: dict[tuple[str, str], set[str]] = {}

    def stale(rec: RunRecord) -> str | None:
        if rec.suite not in found:
            return None
        suite = load_checked_suite(found[rec.suite])
        if suite.version != rec.version:
            return f"the suite is at v{suite.version} now; reference runs must come from the current version"
        if rec.tier not in suite.tiers:
            return f"the suite has no tier {rec.tier!r} any more"
        key = (rec.suite, rec.tier)
        if key not in cache:
            cache[key] = {s.config_hash for s in plan_runs(suite, rec.tier, seeds=[0])}
        if rec.config_hash not in cache[key]:
            return "its config hash is not in today's plan (the suite changed without a version bump, or the record is stale)"
        return None

    return stale


def main(args: argparse.Namespace) -> int:
    b = Baselines(args.baselines)
    if args.action == "list":
        return _list(b, args.format)
    recs = collect_records(args.results)
    recs = [r for r in recs if (not args.suite or r.suite in args.suite) and (not args.tier or r.tier in args.tier)]
    skipped = sum(1 for r in recs if not r.complete)
    for path, added, dup in b.reference.add(recs, replace=args.replace, stale=_stale_check(args.suites_dir)):
        print(f"{path}: +{added} run(s)" + (f", {dup} already there" if dup else ""))
    if skipped:
        print(f"skipped {skipped} incomplete record(s)")
    return 0


def _list(b: Baselines, fmt: str) -> int:
    tablefmt = {"md": "pipe", "github": "github", "csv": "tsv"}[fmt]
    rows = [
        [
            r.id,
            f"{'~' if r.approximate else ''}{r.value:g}",
            "-" if r.spread is None else f"{r.spread:g}",
            r.metric,
            r.dataset,
            r.model,
            r.cite(),
            r.url,
        ]
        for r in b.reported.values()
    ]
    print("## Reported numbers")
    print(tabulate(rows, ["Id", "Value", "Spread", "Metric", "Data", "Model", "Source", "URL"], tablefmt=tablefmt))
    print("\n## Reference runs")
    ref_rows = []
    for ref in b.reference.sets():
        counts = Counter((r["arm"], r["data_label"]) for r in ref.runs)
        arms = ", ".join(f"{a}@{lab}: {n}" for (a, lab), n in sorted(counts.items()))
        ref_rows.append([ref.suite, ref.version, ref.tier, ref.device, len(ref.runs), arms])
    print(
        tabulate(ref_rows, ["Suite", "Version", "Tier", "Device", "Runs", "Per arm"], tablefmt=tablefmt)
        if ref_rows
        else "none yet: add some with `prs-bench baseline add RESULTS`"
    )
    return 0
