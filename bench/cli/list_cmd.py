"""List suites with their versions, tiers and arms (and, with --models, the model registry)."""

from __future__ import annotations

import argparse

from tabulate import tabulate

from ..suite_check import load_checked_suites
from .common import add_suites_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suites", nargs="*", metavar="SUITE", help="suites to list (default: all)")
    p.add_argument("--models", action="store_true", help="list registered models instead")
    add_suites_dir(p)


def main(args: argparse.Namespace) -> int:
    if args.models:
        from ..models import list_models

        print("\n".join(list_models()))
        return 0
    rows = []
    for s in load_checked_suites(args.suites or None, args.suites_dir):
        for tier, t in s.tiers.items():
            arms = s.tier_arms(tier)
            fractions = ",".join(f"{f:g}" for f in t.get("fractions", [1.0]))
            rule = s.epoch_rule(tier) if "fractions" in t else "-"
            rows.append(
                [
                    s.name,
                    s.version,
                    tier,
                    t["data"]["source"],
                    fractions,
                    t["epochs"],
                    rule,
                    len(t["seeds"]),
                    ", ".join(arms),
                    ",".join(s.claims),
                ]
            )
    print(
        tabulate(
            rows,
            ["Suite", "Version", "Tier", "Data", "Fractions", "Epochs", "Epoch rule", "Seeds", "Arms", "Claims"],
            tablefmt="github",
        )
    )
    return 0
