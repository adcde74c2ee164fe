"""Run suite tiers: plan the runs, train what is not finished, write records, print the leaderboard.

Exit 0 when every verdict passed or was inconclusive, 1 when a check failed or a run failed.
"""

from __future__ import annotations

import argparse

from ..errors import CheckFailed
from ..records import RecordStore
from ..report import build_tables, render
from ..runner import resolve_device, run_all
from ..suite import load_suites, parse_seeds, plan_runs
from .common import add_out, add_suites_dir

HELP = "run suites (default: every suite's smoke tier)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suites", nargs="*", metavar="SUITE", help="suites to run (default: all)")
    p.add_argument("--tier", default="smoke", help="smoke (CPU, synthetic), quick or full (GPU, real data)")
    p.add_argument("--seeds", default=None, help="a count (3 -> seeds 0,1,2) or a list (0,4); default: the tier's")
    p.add_argument("--arms", default=None, help="comma-separated arms to run (default: the tier's)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--rerun", action="store_true", help="repeat finished runs (old records are archived)")
    p.add_argument("--resume", action="store_true", help="continue interrupted runs from their checkpoints")
    p.add_argument("--dry-run", action="store_true", help="print the planned runs and exit")
    p.add_argument("--format", default="github", choices=["md", "github", "csv", "json"], help="leaderboard format")
    add_out(p)
    add_suites_dir(p)


def main(args: argparse.Namespace) -> int:
    suites = load_suites(args.suites or None, args.suites_dir)
    arms = args.arms.split(",") if args.arms else None
    specs = []
    for s in suites:
        seeds = parse_seeds(args.seeds, s.tier(args.tier)["seeds"])
        specs += plan_runs(s, args.tier, seeds=seeds, arms=arms)
    if args.dry_run:
        for spec in specs:
            print(f"{spec.run_id}  model={spec.config['model']['name']}  hash={spec.config_hash[:12]}")
        return 0
    store = RecordStore(args.out)
    summary = run_all(specs, store, resolve_device(args.device), rerun=args.rerun)
    arm_rows, claim_rows = build_tables(suites, store.all(), tiers=[args.tier])
    print(render(arm_rows, claim_rows, args.format))
    failed_checks = [r for r in claim_rows if r["Verdict"] == "fail"]
    if summary.failed or failed_checks:
        raise CheckFailed(f"{len(failed_checks)} check(s) failed, {len(summary.failed)} run(s) failed")
    return 0
