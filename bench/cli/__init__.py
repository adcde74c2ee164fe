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

# subcommand -> module under bench.cli; each module has add_arguments(parser) and main(args) -> int
COMMANDS: dict[str, str] = {
    "list": "list_cmd",
    "run": "run_cmd",
    "leaderboard": "leaderboard_cmd",
    "report": "report_cmd",
    "baseline": "baseline_cmd",
    "compare": "compare_cmd",
    "data": "data_cmd",
    "fourier": "fourier_cmd",
    "perf": "perf_cmd",
    "gpu-check": "gpu_check_cmd",
    "validate": "validate_cmd",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: X)" once: not when the help already says its default, nor for None/False."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS) or action.nargs == 0:
            return text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prs-bench",
        description="Benchmark suites for Progressive Reparameterization Scheduling (arXiv 2210.01370). "
        "Start with `prs-bench run` (every suite's smoke tier on the CPU) and `prs-bench leaderboard`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in COMMANDS.items():
        mod = importlib.import_module(f"{__name__}.{modname}")
        # no abbreviated options: a new option must not change what an old command line means
        p = sub.add_parser(
            name, help=mod.HELP, description=mod.__doc__, formatter_class=HelpFormatter, allow_abbrev=False
        )
        mod.add_arguments(p)
        p.set_defaults(_main=mod.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
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
