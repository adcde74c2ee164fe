"""Arguments several subcommands share."""

from __future__ import annotations

import argparse
from pathlib import Path

ON_OFF = {"auto": None, "on": True, "off": False}  # --compile auto|on|off -> CoreOptions.compile


def add_suites_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--suites-dir",
        type=Path,
        default=None,
        help="folder of suite files (default: $PRS_BENCH_SUITES, ./suites, or the checkout's suites/)",
    )


def add_baselines_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--baselines",
        type=Path,
        default=None,
        metavar="DIR",
        help="baselines folder (default: $PRS_BENCH_BASELINES, ./baselines or the checkout's)",
    )


def add_out(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("results"), help="results folder (records under OUT/runs/)")
