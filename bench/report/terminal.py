"""The leaderboard as a terminal shows it (``--format text``, the default of `leaderboard` and `run`).

One block per suite tier: a header line with what is constant in it (suite, version, tier, and
the device when all its runs share one), the claims first, then the arms by id with their labels
and models in a legend, then the checks; long cells wrap so that every line fits the terminal
(``COLUMNS``, else the terminal's width, else 120). The md/github, csv and json formats keep
every column (`leaderboard --wide` prints the full tables).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

from tabulate import tabulate

from .leaderboard import ArmRow, CheckRow, notices, summarize_claims

MIN_WIDTH = 60
GAP = 2  # tabulate's "simple" format puts two spaces between columns


def terminal_width() -> int:
    """``COLUMNS``, else the terminal's width, else 120 (a pipe or a log file)."""
    return max(MIN_WIDTH, shutil.get_terminal_size((120, 24)).columns)


def _fit(rows: list[list[str]], headers: list[str], width: int, caps: dict[int, int], flex: int) -> str:
    """A "simple" table no wider than ``width``: columns in ``caps`` wrap at their cap, column ``flex``
    takes what the others leave (at least 16 characters)."""

    def natural(i: int) -> int:  # tabulate pads a header by 2 (its MIN_PADDING) when a column is no wider
        return max([len(headers[i]) + 2] + [max((len(line) for line in r[i].splitlines()), default=0) for r in rows])

    widths = [min(natural(i), caps.get(i, natural(i))) for i in range(len(headers))]
    others = sum(w for i, w in enumerate(widths) if i != flex) + GAP * (len(headers) - 1)
    widths[flex] = max(16, min(natural(flex), width - others))
    wrapped = [
        [
            textwrap.fill(cell, widths[i], break_on_hyphens=False) if len(cell) > widths[i] else cell
            for i, cell in enumerate(r)
        ]
        for r in rows
    ]
    return tabulate(wrapped, headers, tablefmt="simple", disable_numparse=True)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)


def render_text(arm_rows: Sequence[ArmRow], check_rows: Sequence[CheckRow], width: int | None = None) -> str:
    """The compact, width-aware leaderboard (see the module docstring)."""
    width = max(MIN_WIDTH, width or terminal_width())
    if not arm_rows and not check_rows:
        return "no results yet: run `prs-bench run` first"
    out: list[str] = []
    for line in notices(arm_rows, check_rows):
        out += _wrap(line, width) + [""]
    keys = list(
        dict.fromkeys(
            [(r.suite, r.version, r.tier) for r in arm_rows] + [(r.suite, r.version, r.tier) for r in check_rows]
        )
    )
    for suite, version, tier in keys:
        arms = [r for r in arm_rows if (r.suite, r.version, r.tier) == (suite, version, tier)]
        checks = [r for r in check_rows if (r.suite, r.version, r.tier) == (suite, version, tier)]
        devices = list(dict.fromkeys(r.device for r in arms))
        head = f"{suite} v{version} · tier {tier}" + (f" · {devices[0]}" if len(devices) == 1 else "")
        out += _wrap(head, width) + ["=" * min(len(head), width)]
        claims = summarize_claims(list(checks))
        if claims:
            said = "; ".join(
                f"{c.claim} {c.verdict} ({', '.join(f'{n} {s}' for s, n in c.counts.items() if n)})" for c in claims
            )
            out += _wrap(f"Claims: {said}", width)
        if arms:
            out += ["", _arms_table(arms, width, several_devices=len(devices) > 1)]
            named = (
                f"{r.arm} = {r.arm_label} [{r.model}]" if r.arm_label != r.arm else f"{r.arm} [{r.model}]" for r in arms
            )
            out += _wrap(f"Arms: {'; '.join(dict.fromkeys(named))}", width)
        if checks:
            rows = [[c.display()["Claim"], c.display()["Check"], c.verdict.shown(), c.verdict.detail] for c in checks]
            out += ["", _fit(rows, ["Claim", "Check", "Verdict", "Detail"], width, {0: 12, 1: 30, 2: 58}, 3)]
        out.append("")
    return "\n".join(out).rstrip("\n")


def _arms_table(arms: Sequence[ArmRow], width: int, several_devices: bool) -> str:
    headers = ["Arm", "Data", "n", "Top-1 (%)", "Params (M)", "GFLOPs", "Verdict"]
    rows = []
    for r in arms:
        d = r.display()
        rows.append([r.arm, d["Data"], d["n"], d["Top-1 (%)"], d["Params (M)"], d["GFLOPs"], d["Verdict"]])
    if any(r.references for r in arms):
        headers.append("Reference")
        for row, r in zip(rows, arms, strict=True):
            row.append("; ".join(ref.label for ref in r.references) or "-")
    if several_devices:
        headers.append("Device")
        for row, r in zip(rows, arms, strict=True):
            row.append(r.device)
    flex = len(headers) - 1
    return _fit(rows, headers, width, {1: 28}, flex)
