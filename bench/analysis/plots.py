"""The two Fourier plots of docs/METHOD.md section 5, drawn from summary dicts (``summary.summarize``).

Plots read the JSON summary, not live tensors, so a suite can redraw them from run records.
The x axis of the first plot is the true frequency in units of pi: its last point is
(h/2 - 1) * 2/h, e.g. 0.75π on 8x8 maps, and the ticks say so.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter

Summary = Mapping[str, Any]


def pi_label(x: float, _pos: object = None) -> str:
    """0 -> "0", 0.75 -> "0.75π", 1 -> "π"."""
    if abs(x) < 1e-9:
        return "0"
    if abs(x - 1) < 1e-9:
        return "π"
    return f"{x:.4g}π"


def pi_ticks(max_freq: float) -> list[float]:
    """Multiples of 0.25 up to ``max_freq``, plus ``max_freq`` itself (the true last point)."""
    ticks = [q / 4 for q in range(5) if q / 4 <= max_freq + 1e-9]
    if max_freq - ticks[-1] > 0.06:
        ticks.append(max_freq)
    return ticks


def depth_cmap() -> LinearSegmentedColormap:
    """plasma without its pale-yellow end, which vanishes on white."""
    base = plt.get_cmap("plasma")
    return LinearSegmentedColormap.from_list("depth", [base(0.9 * i / 15) for i in range(16)])


def plot_delta_vs_freq(summary: Summary, path: str | Path, title: str = "") -> Path:
    """Delta log amplitude against frequency, one line per site, coloured by normalised depth."""
    blocks = summary["blocks"]
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    cmap = depth_cmap()
    for b in blocks:
        ax.plot(
            b["freq"],
            b["delta"],
            color=cmap(b["depth"]),
            lw=1.2,
            ls="-" if b["attention"] else "--" if b["kind"] == "mlp" else ":" if b["kind"] == "embed" else "-.",
        )
    max_f = max(b["hf_freq"] for b in blocks)
    ax.xaxis.set_major_locator(FixedLocator(pi_ticks(max_f)))
    ax.xaxis.set_major_formatter(FuncFormatter(pi_label))
    ax.set_xlim(0, max_f)
    ax.set_xlabel("frequency (true; last point (h/2-1)·2π/h)")
    ax.set_ylabel("Δ log amplitude")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    fig.colorbar(sm, ax=ax, label="normalised depth", ticks=[0, 0.5, 1])
    kinds = sorted({b["kind"] for b in blocks})
    style = {"attention": "-", "mlp": "--", "conv": "-.", "embed": ":"}
    for k in kinds:
        ax.plot([], [], color="gray", ls=style[k], label=k)
    # below the axes: inside it would cover the lines it explains
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(kinds), frameon=False)
    ax.set_title(wrap(title or f"relative log amplitude ({summary['images']} images)"), fontsize=10)
    return _save(fig, path)


def plot_hf_vs_depth(summaries: Summary | Mapping[str, Summary], path: str | Path, title: str = "") -> Path:
    """Delta at the highest frequency against normalised depth; attention sites shaded.

    Give one summary, or several by label (e.g. one per switch epoch); shading then follows the first.
    """
    many: dict[str, Any] = dict(summaries) if "blocks" not in summaries else {"": summaries}
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    first = next(iter(many.values()))["blocks"]
    half = 0.5 / max(len(first) - 1, 1)
    for b in first:
        if b["attention"]:
            ax.axvspan(b["depth"] - half, b["depth"] + half, color="0.85", lw=0, zorder=0)
    for label, s in many.items():
        d = [b["depth"] for b in s["blocks"]]
        ax.plot(d, [b["hf_delta"] for b in s["blocks"]], marker="o", ms=3.5, lw=1.2, label=label or None)
    ax.set_xlim(-half, 1 + half)
    ax.set_xlabel("normalised depth")
    hf = sorted({b["hf_freq"] for s in many.values() for b in s["blocks"]})
    ax.set_ylabel(f"Δ log amplitude at {pi_label(hf[0])}" if len(hf) == 1 else "Δ log amplitude at the highest freq.")
    handles, _ = ax.get_legend_handles_labels()
    if any(b["attention"] for b in first):
        handles.append(Patch(color="0.85", label="attention"))
    if handles:  # outside the axes, so it covers no line
        ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    ax.set_title(wrap(title or "high-frequency Δ log amplitude by depth"), fontsize=10)
    return _save(fig, path)


def wrap(title: str, width: int = 52) -> str:
    """Each line of ``title`` wrapped at ``width`` characters, so no title is wider than its figure."""
    return "\n".join(textwrap.fill(line, width) for line in title.splitlines())


def _save(fig: plt.Figure, path: str | Path) -> Path:
    """``bbox_inches="tight"`` grows the canvas to whatever sticks out (titles, outside legends)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path
