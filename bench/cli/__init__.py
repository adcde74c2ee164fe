"""``prs-bench``: one module per subcommand, registered here as data.

Exit codes: 0 ok, 1 a check failed, 2 bad input (one line on stderr, no traceback).
A bare ``prs-bench`` prints the help and exits 0; it never starts training.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import BenchError, CheckFailed, os_error_line

# subcommand -> (module under bench.cli, one-line help). Each module has add_arguments(parser) and
# main(args) -> int. The help lives here, as data, so `prs-bench --help` imports no command module
# (they import torch and timm): only the command being run, or asked for, is imported.
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("list_cmd", "list suites, versions, tiers and arms"),
    "run": ("run_cmd", "run suites (default: every suite's smoke tier)"),
    "leaderboard": ("leaderboard_cmd", "render the leaderboard from stored results"),
    "report": ("report_cmd", "write one HTML page of a results folder (tables, plots, provenance)"),
    "baseline": ("baseline_cmd", "add reference runs or list baselines"),
    "compare": (
        "compare_cmd",
        "compare two results folders (per-arm deltas, Welch p-values, commits; --fail-below gates)",
    ),
    "data": ("data_cmd", "check a data source: counts, classes, cache state, subset hashes"),
    "fourier": ("fourier_cmd", "Fourier analysis of a run's feature maps (JSON + plots)"),
    "perf": ("perf_cmd", "measure training throughput (core vs a plain PyTorch loop)"),
    "gpu-check": (
        "gpu_check_cmd",
        "measure the GPU path: perf of every model, a compiled bf16 run with a switch, torchrun (DDP)",
    ),
    "validate": ("validate_cmd", "check run records against the record schema, their digests and their paths"),
    "status": ("status_cmd", "what a results folder holds: done, running (epoch, ETA), failed and pending runs"),
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: X)" once: not when the help already says its default, nor for None/False."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS) or action.nargs == 0:
            return text
        return super()._get_help_string(action)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only``, every other subcommand is a stub that carries its help line
    but imports nothing (``only = ""``: no command module at all, for the top-level help)."""
    parser = argparse.ArgumentParser(
        prog="prs-bench",
        description="Benchmark suites for Progressive Reparameterization Scheduling (arXiv 2210.01370). "
        "Start with `prs-bench run` (every suite's smoke tier on the CPU) and `prs-bench leaderboard`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (modname, help_line) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_line, add_help=False)
            continue
        mod = importlib.import_module(f"{__name__}.{modname}")
        # no abbreviated options: a new option must not change what an old command line means
        p = sub.add_parser(
            name, help=help_line, description=mod.__doc__, formatter_class=HelpFormatter, allow_abbrev=False
        )
        mod.add_arguments(p)
        p.set_defaults(_main=mod.main)
    return parser


def command_of(argv: list[str]) -> str:
    """The subcommand ``argv`` names ("" if none: top-level help, --version, or a bare call)."""
    return next((a for a in argv if not a.startswith("-")), "")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    name = command_of(argv)
    parser = build_parser(only=name if name in COMMANDS else "")
    args = parser.parse_args(argv)
    args.argv = argv  # as typed, for commands that hand it on (run --launcher forwards it to each shard job)
    if args.command is None:
        parser.print_help()
        return 0
    from ..train.engine import flush_denormals

    flush_denormals()  # first, so the intra-op threads torch starts later inherit it
    try:
        return int(args._main(args) or 0)
    except BenchError as exc:
        print(f"prs-bench: error: {exc}", file=sys.stderr)
        return BenchError.exit_code
    except CheckFailed as exc:
        print(f"prs-bench: {exc}", file=sys.stderr)
        return CheckFailed.exit_code
    except OSError as exc:  # full disk, read-only folder, a file where a folder should be: one line, exit 2
        print(f"prs-bench: error: {os_error_line(exc)}", file=sys.stderr)
        return BenchError.exit_code
    except KeyboardInterrupt:
        print("prs-bench: interrupted; rerun the same command with --resume to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
