"""Plots written as PNG beside the leaderboard tables (matplotlib, Agg backend: no display needed).

Plot kinds are a registry: ``register_plot("name")`` on a function
``(suite, tier, records, folder) -> list[Path]``. The built-ins draw accuracy against data
fraction (mean ± std over seeds, one line per arm) and training curves per arm. The Fourier plots
live with the analysis code: the ``fourier`` kind here hands each arm's
``record["analysis"]["fourier"]`` summary to ``bench.analysis.plots`` (plot_hf_vs_depth,
plot_delta_vs_freq) when that module and those summaries exist; the analysis code may also
register more kinds by calling ``register_plot`` in ``bench.analysis.plots``.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..registry import Registry
from ..suite import Suite
from ..verdicts import select_records

PlotFn = Callable[[Suite, str, list[dict[str, Any]], Path], list[Path]]
PLOTS: Registry[PlotFn] = Registry("plot")
register_plot = PLOTS.register
PLUGINS = ("bench.analysis.plots",)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt



def stem(suite: Suite, tier: str, kind: str) -> str:
    return f"{suite.name}-v{suite.version}-{tier}-{kind}"


def _load_plugins() -> None:
    for mod in PLUGINS:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name not in (mod, mod.rsplit(".", 1)[0]):
                raise


def write_plots(suites: list[Suite], records: list[dict[str, Any]], folder: Path,
                tiers: list[str] | None = None) -> list[Path]:
    """Every registered plot for every suite tier with current records; returns the files written."""
    _load_plugins()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for suite in suites:
        for tier in suite.tiers:
            if tiers and tier not in tiers:
                continue
            fresh, _ = select_records(suite, tier, records)
            if not fresh:
                continue
            for kind in PLOTS.names():
                out += PLOTS.get(kind)(suite, tier, fresh, folder)
    return out


def _by(records: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[tuple(r[k] for k in keys)].append(r)
    return groups


@register_plot("accuracy_vs_fraction")
def accuracy_vs_fraction(suite: Suite, tier: str, records: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Top-1 against training-set fraction, mean ± std over seeds (drawn only with >= 2 fractions)."""
    fractions = sorted({float(r["config"]["data"].get("fraction", 1.0)) for r in records})
    if len(fractions) < 2:
        return []
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm in [a for a in suite.arms if any(r["arm"] == a for r in records)]:
        pts = []
        for f in fractions:
            vals = [r["metrics"]["test_acc"] for r in records
                    if r["arm"] == arm and float(r["config"]["data"].get("fraction", 1.0)) == f]
            if vals:
                pts.append((f, float(np.mean(vals)), float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0, len(vals)))
        if pts:
            x, m, s, n = zip(*pts)
            seeds = f"n={min(n)}" if min(n) == max(n) else f"n={min(n)}-{max(n)}"
            ax.errorbar(x, m, yerr=s, marker="o", capsize=3, label=f"{suite.arm_label(arm)} ({seeds})")
    ax.set_xscale("log")
    ax.set_xticks(fractions, [f"{f:g}" for f in fractions])
    ax.minorticks_off()
    ax.set_xlabel("training-set fraction (log scale)")
    ax.set_ylabel("test top-1 (%), mean ± std over seeds")
    ax.set_title(f"{suite.name} v{suite.version} [{tier}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    p = folder / f"{stem(suite, tier, 'accuracy-vs-fraction')}.png"
    fig.tight_layout()
    fig.savefig(p, dpi=120)
    plt.close(fig)
    return [p]


@register_plot("training_curves")
def training_curves(suite: Suite, tier: str, records: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Test top-1 and train loss per epoch for each arm at each data fraction (mean, band = min..max)."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    out = []
    for (label,), recs in sorted(_by(records, "data_label").items()):
        fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
        for (arm,), arm_recs in sorted(_by(recs, "arm").items(), key=lambda kv: list(suite.arms).index(kv[0][0])
                                       if kv[0][0] in suite.arms else 99):
            for ax, key in ((ax_acc, "test_acc"), (ax_loss, "train_loss")):
                curves = [[h.get(key, np.nan) for h in r["history"]] for r in arm_recs if r.get("history")]
                if not curves:
                    continue
                n = min(len(c) for c in curves)
                arr = np.asarray([c[:n] for c in curves], dtype=float)
                ep = np.arange(1, n + 1)
                line, = ax.plot(ep, np.nanmean(arr, axis=0), label=f"{suite.arm_label(arm)} (n={len(curves)})")
                if len(curves) > 1:
                    ax.fill_between(ep, np.nanmin(arr, axis=0), np.nanmax(arr, axis=0), alpha=0.2,
                                    color=line.get_color())
        ax_acc.set_ylabel("test top-1 (%)")
        ax_loss.set_ylabel("train loss")
        for ax in (ax_acc, ax_loss):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
        ax_acc.legend(fontsize=8)
        fig.suptitle(f"{suite.name} v{suite.version} [{tier}] {label}: mean over seeds, band = min..max")
        p = folder / f"{stem(suite, tier, 'curves-' + label)}.png"
        fig.tight_layout()
        fig.savefig(p, dpi=110)
        plt.close(fig)
        out.append(p)
    return out


@register_plot("fourier")
def fourier(suite: Suite, tier: str, records: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Fourier plots (docs/METHOD.md section 5) from the analysis summaries records carry; none without them.

    Per data fraction: high-frequency Δ against depth with one line per arm (sweep order = suite
    order, lowest seed's summary), and Δ against frequency for each arm.
    """
    have = [r for r in records if isinstance(r.get("analysis", {}).get("fourier"), dict)]
    if not have:
        return []
    try:
        ap = importlib.import_module("bench.analysis.plots")
    except ModuleNotFoundError:
        return []
    out = []
    order = {a: i for i, a in enumerate(suite.arms)}
    for (label,), recs in sorted(_by(have, "data_label").items()):
        first: dict[str, dict[str, Any]] = {}
        for r in sorted(recs, key=lambda r: (order.get(r["arm"], 99), r["seed"])):
            first.setdefault(r["arm"], r)
        summaries = {suite.arm_label(a): r["analysis"]["fourier"] for a, r in first.items()}
        title = f"{suite.name} v{suite.version} [{tier}] {label}"
        out.append(ap.plot_hf_vs_depth(summaries, folder / f"{stem(suite, tier, 'fourier-depth-' + label)}.png",
                                       title=title))
        for a, r in first.items():
            out.append(ap.plot_delta_vs_freq(r["analysis"]["fourier"],
                                             folder / f"{stem(suite, tier, f'fourier-{a}-{label}')}.png",
                                             title=f"{title} {suite.arm_label(a)} seed {r['seed']}"))
    return out


def _timeline(record: dict[str, Any]) -> np.ndarray | None:
    """(layers, epochs) pos_target_mass from the history's ``layers``; NaN while a layer is a convolution."""
    hist = [h.get("layers") for h in record.get("history", [])]
    if not hist or not all(hist):
        return None
    out = np.full((len(hist[0]), len(hist)), np.nan)
    for e, layers in enumerate(hist):
        for d in layers:
            if d.get("phase") == "attention" and d.get("pos_target_mass") is not None:
                out[d["layer"], e] = d["pos_target_mass"]
    return out


@register_plot("switch_timeline")
def switch_timeline(suite: Suite, tier: str, records: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Layers x epochs per reparameterizable arm (lowest seed): grey while a convolution, then the
    positional mass on the layer's own kernel offset (1 = still a convolution, ~0.35 = ConViT's local
    init at strength 1 on 8x8 maps), from the records' per-epoch ``layers`` diagnostics."""
    order = {a: i for i, a in enumerate(suite.arms)}
    out = []
    for (label,), recs in sorted(_by(records, "data_label").items()):
        first: dict[str, dict[str, Any]] = {}
        for r in sorted(recs, key=lambda r: (order.get(r["arm"], 99), r["seed"])):
            first.setdefault(r["arm"], r)
        grids = {a: (g, r["seed"]) for a, r in first.items() if (g := _timeline(r)) is not None}
        if not grids:
            continue
        plt = _pyplot()
        from matplotlib.ticker import MaxNLocator

        fig, axes = plt.subplots(len(grids), 1, figsize=(7, 0.8 + 1.5 * len(grids)), squeeze=False, sharex=True,
                                 layout="constrained")
        cmap = plt.get_cmap("viridis").copy()
        cmap.set_bad("lightgrey")
        image = None
        for ax, (arm, (grid, seed)) in zip(axes[:, 0], grids.items()):
            layers, epochs = grid.shape
            image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", origin="lower", cmap=cmap, vmin=0, vmax=1,
                              extent=(0.5, epochs + 0.5, -0.5, layers - 0.5), interpolation="nearest")
            ax.set_ylabel("layer", fontsize=8)
            ax.set_title(f"{suite.arm_label(arm)} (seed {seed})", fontsize=8, loc="left")
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes[-1, 0].set_xlabel("epoch (end of)")
        fig.colorbar(image, ax=axes[:, 0].tolist(), label="pos_target_mass (grey: convolution)", shrink=0.9)
        fig.suptitle(f"{suite.name} v{suite.version} [{tier}] {label}: switch timeline", fontsize=9)
        p = folder / f"{stem(suite, tier, 'switch-timeline-' + label)}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        out.append(p)
    return out
