"""Compare two sets of results side by side: per suite, version, tier, arm and data, the delta
B - A of the metric with a two-sided Welch p-value and the commit each side ran at. Rows only
in one set are shown with '-'. Different devices or configs on the two sides are flagged in the
Note column, not hidden.

--fail-below X makes it a regression gate: exit 1 when any arm's mean on B is more than X
points below A (for metrics where higher is better, such as top-1).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import BenchError, CheckFailed
from ..records.metrics import DEFAULT_METRIC
from ..records.store import collect_records
from ..report.compare import FORMATS, compare_rows, drops, render


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", type=Path, metavar="A", help="results folder, runs/ folder or record file (the baseline)")
    p.add_argument("b", type=Path, metavar="B", help="results folder, runs/ folder or record file (the candidate)")
    p.add_argument(
        "--metric",
        default=DEFAULT_METRIC,
        help=f"a metric name (default {DEFAULT_METRIC}) or a dotted analysis path (fourier.NAME)",
    )
    p.add_argument(
        "--format",
        default="github",
        choices=list(FORMATS),
        help="github/md for people; csv and json: tidy data (ids and numbers)",
    )
    p.add_argument(
        "--fail-below",
        type=float,
        default=None,
        metavar="X",
        help="exit 1 when any arm's mean on B is more than X points below A (e.g. 0.5)",
    )


def main(args: argparse.Namespace) -> int:
    if args.fail_below is not None and not (math.isfinite(args.fail_below) and args.fail_below >= 0):
        raise BenchError(f"--fail-below {args.fail_below!r}: give a drop in points >= 0, e.g. 0.5")
    rows = compare_rows(collect_records([args.a]), collect_records([args.b]), args.metric)
    print(render(rows, args.format))
    if args.fail_below is not None:
        dropped = drops(rows, args.fail_below)
        if dropped:
            listed = "; ".join(f"{r.suite}/v{r.version}/{r.tier} {r.arm} {r.data}: {r.delta:+.2f}" for r in dropped[:5])
            more = f"; and {len(dropped) - 5} more" if len(dropped) > 5 else ""
            raise CheckFailed(
                f"{len(dropped)} arm(s) dropped more than {args.fail_below:g} in {args.metric} "
                f"from A to B: {listed}{more}"
            )
    return 0
