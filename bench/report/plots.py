"""Plots written as PNG beside the leaderboard tables (matplotlib, Agg backend: no display needed).

Plot kinds are a registry: ``register_plot("name")`` on a function
``(suite, tier, records, folder) -> list[Path]``; a function that also takes a keyword
``verdicts`` gets the tier's verdicts (``evaluate``, computed once per tier). The built-ins draw
accuracy against data fraction (mean and 95% t-interval over seeds, one line per arm, with the
reported numbers that band checks compare against) and training curves per arm (switch epochs
and the chance level marked). The Fourier plots live with the analysis code: the ``fourier``
kind here hands each arm's ``record["analysis"]["fourier"]`` summary to ``bench.analysis.plots``
(plot_hf_vs_depth, plot_delta_vs_freq) when the records carry those summaries.

Legends name what was trained: an arm whose tier trains another model than the arm's label
names (the smoke tiers' stand-ins, e.g. ``resnet_tiny`` for ResNet-18) is labelled with the
model from its records. Legends sit outside the axes, so they never cover a line.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..records import RunRecord
from ..records.metrics import TEST_ACC, TRAIN_LOSS
from ..records.view import build_tier_view
from ..registry import Registry
from ..suite import Suite
from ..verdicts import Verdict, evaluate

PlotFn = Callable[..., list[Path]]
PLOTS: Registry[PlotFn] = Registry("plot")
register_plot = PLOTS.register
CONFIDENCE = 0.95


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def stem(suite: Suite, tier: str, kind: str) -> str:
    return f"{suite.name}-v{suite.version}-{tier}-{kind}"


def _wants_verdicts(fn: PlotFn) -> bool:
    return "verdicts" in inspect.signature(fn).parameters


def write_plots(
    suites: list[Suite],
    records: list[RunRecord],
    folder: Path,
    tiers: list[str] | None = None,
    baselines: Any = None,
) -> list[Path]:
    """Every registered plot for every suite tier with current records; returns the files written.

    ``baselines`` (default: the default baselines folder) feeds the verdicts plots may draw.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for suite in suites:
        for tier in suite.tiers:
            if tiers and tier not in tiers:
                continue
            view = build_tier_view(suite, tier, records)
            fresh = view.records
            if not fresh:
                continue
            verdicts: list[Verdict] | None = None
            for kind in PLOTS.names():
                fn = PLOTS.get(kind)
                if _wants_verdicts(fn):
                    if verdicts is None:
                        verdicts = evaluate(view, baselines)
                    out += fn(suite, tier, fresh, folder, verdicts=verdicts)
                else:
                    out += fn(suite, tier, fresh, folder)
    return out


def _by(records: list[RunRecord], *keys: str) -> dict[tuple[Any, ...], list[RunRecord]]:
    groups: dict[tuple[Any, ...], list[RunRecord]] = defaultdict(list)
    for r in records:
        groups[tuple(r[k] for k in keys)].append(r)
    return groups


def arm_label(suite: Suite, arm: str, records: list[RunRecord]) -> str:
    """The arm's label when its records trained the arm's own model, else the model(s) trained."""
    trained = sorted({r["config"]["model"]["name"] for r in records if r["arm"] == arm})
    declared = suite.arms[arm]["model"] if arm in suite.arms else None
    if not trained or trained == [declared]:
        return suite.arm_label(arm)
    return f"{', '.join(trained)} ({arm} arm)"


def _arm_order(suite: Suite) -> Callable[[str], int]:
    order = {a: i for i, a in enumerate(suite.arms)}
    return lambda arm: order.get(arm, len(order))


def _fraction(r: RunRecord) -> float:
    return float(r["config"]["data"].get("fraction", 1.0))


def mean_ci(values: list[float], confidence: float = CONFIDENCE) -> tuple[float, float | None]:
    """Mean and the half-width of its two-sided t-interval (None with fewer than two values)."""
    from scipy import stats

    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, None
    sem = float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return mean, float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1)) * sem


def _outside_legend(ax: Any, **kwargs: Any) -> None:
    """Legend to the right of the axes: it cannot cover a line (saved with bbox_inches="tight")."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8, **kwargs
        )


def _save(fig: Any, path: Path, dpi: int = 120) -> Path:
    plt = _pyplot()
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def reported_points(verdicts: list[Verdict], records: list[RunRecord]) -> list[dict[str, Any]]:
    """Band checks against a reported number (the leaderboard's ``Reference``): arm, fraction, value,
    band (lo, hi; None when the check's band is a test rather than an interval) and label."""
    from .leaderboard import Reference

    fractions = {r["data_label"]: _fraction(r) for r in records}
    out = []
    for v in verdicts:
        if v.check != "band" or "reference_label" not in v.numbers or not v.arms or v.data not in fractions:
            continue
        ref = Reference.from_verdict(v)
        if ref.arm is not None or ref.value is None or ref.source == "this run":
            continue
        out.append(
            {
                "arm": v.arms[0],
                "fraction": fractions[v.data],
                "value": ref.value,
                "lo": ref.lo,
                "hi": ref.hi,
                "label": ref.label,
            }
        )
    return out


@register_plot("accuracy_vs_fraction")
def accuracy_vs_fraction(
    suite: Suite, tier: str, records: list[RunRecord], folder: Path, verdicts: list[Verdict] | None = None
) -> list[Path]:
    """Top-1 against training-set fraction: mean and 95% t-interval over seeds per arm, each seed's
    value as a dot, and the reported numbers band checks compare against (drawn with >= 2 fractions)."""
    fractions = sorted({_fraction(r) for r in records})
    if len(fractions) < 2:
        return []
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    arms = sorted({r["arm"] for r in records}, key=_arm_order(suite))
    colors = {}
    single = False
    for arm in arms:
        pts = []
        for f in fractions:
            vals = [r["metrics"][TEST_ACC] for r in records if r["arm"] == arm and _fraction(r) == f]
            if vals:
                m, half = mean_ci(vals)
                single |= half is None
                pts.append((f, m, 0.0 if half is None else half, len(vals), vals))
        if not pts:
            continue
        x, m, h, n, vals = zip(*pts)
        seeds = f"n={min(n)}" if min(n) == max(n) else f"n={min(n)}-{max(n)}"
        line = ax.errorbar(x, m, yerr=h, marker="o", capsize=3, label=f"{arm_label(suite, arm, records)} ({seeds})")
        colors[arm] = line.lines[0].get_color()
        for f, v in zip(x, vals):
            if len(v) > 1:
                ax.scatter([f] * len(v), v, s=9, color=colors[arm], alpha=0.35, lw=0, zorder=1)
    for rep in reported_points(verdicts or [], records):
        color = colors.get(rep["arm"], "black")
        lo, hi = rep["lo"], rep["hi"]
        yerr = [[rep["value"] - lo], [hi - rep["value"]]] if lo is not None and hi is not None else None
        ax.errorbar(
            [rep["fraction"]],
            [rep["value"]],
            yerr=yerr,
            marker="*",
            ms=11,
            mfc="white",
            mec=color,
            ecolor=color,
            ls="none",
            capsize=4,
            alpha=0.9,
            label=f"reported: {rep['label']} (check band)" if yerr else f"reported: {rep['label']}",
        )
    ax.set_xscale("log")
    ax.set_xticks(fractions, [f"{f:g}" for f in fractions])
    ax.minorticks_off()
    ax.set_xlabel("training-set fraction (log scale)")
    bars = f"mean, {100 * CONFIDENCE:g}% t-interval over seeds" + ("; dots = seeds" if not single else "")
    ax.set_ylabel("test top-1 (%)")
    ax.set_title(f"{suite.name} v{suite.version} [{tier}]\n{bars}", fontsize=10)
    ax.grid(alpha=0.3)
    _outside_legend(ax)
    return [_save(fig, folder / f"{stem(suite, tier, 'accuracy-vs-fraction')}.png")]


def switch_epochs(records: list[RunRecord]) -> list[int]:
    """Epochs (0-based = epochs completed when it happened) at which some layer switched."""
    return sorted({int(e["epoch"]) for r in records for e in r.get("events", []) if e.get("event") == "switch"})


def chance_level(records: list[RunRecord]) -> float | None:
    classes = {r["metrics"].get("num_classes") or r["config"]["data"].get("num_classes") for r in records}
    classes.discard(None)
    return 100.0 / classes.pop() if len(classes) == 1 else None


@register_plot("training_curves")
def training_curves(suite: Suite, tier: str, records: list[RunRecord], folder: Path) -> list[Path]:
    """Test top-1 and train loss per epoch for each arm at each data fraction (mean, band = min..max
    over seeds), with each arm's switch epochs (dotted, the arm's colour) and the chance level."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    out = []
    for (label,), recs in sorted(_by(records, "data_label").items()):
        fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
        any_switch = False
        for (arm,), arm_recs in sorted(_by(recs, "arm").items(), key=lambda kv: _arm_order(suite)(kv[0][0])):
            color = None
            for ax, key in ((ax_acc, TEST_ACC), (ax_loss, TRAIN_LOSS)):
                curves = [[h.get(key, np.nan) for h in r["history"]] for r in arm_recs if r.get("history")]
                if not curves:
                    continue
                n = min(len(c) for c in curves)
                arr = np.asarray([c[:n] for c in curves], dtype=float)
                ep = np.arange(1, n + 1)
                with warnings.catch_warnings():  # an epoch no seed recorded stays NaN (a gap), silently
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(arr, axis=0)
                (line,) = ax.plot(
                    ep, mean, color=color, marker="o", ms=2.5, label=f"{arm_label(suite, arm, recs)} (n={len(curves)})"
                )
                color = line.get_color()
                if len(curves) > 1:
                    ax.fill_between(ep, np.nanmin(arr, axis=0), np.nanmax(arr, axis=0), alpha=0.2, color=color)
                for e in switch_epochs(arm_recs):
                    any_switch = True
                    ax.axvline(e, color=color, ls=":", lw=1.2, alpha=0.8)
        chance = chance_level(recs)
        if chance is not None:
            ax_acc.axhline(chance, color="0.4", ls="--", lw=0.9, label=f"chance ({chance:.3g}%)")
        if any_switch:
            ax_acc.plot([], [], color="0.3", ls=":", label="switch (x = epochs done; arm colour)")
        ax_acc.set_ylabel("test top-1 (%)")
        ax_loss.set_ylabel("train loss")
        for ax in (ax_acc, ax_loss):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_xlim(left=0 if any_switch else 0.8)
            ax.grid(alpha=0.3)
        # one legend, right of both axes: arms (from the loss axis), then the chance and switch keys
        handles, labels = ax_loss.get_legend_handles_labels()
        for h, t in zip(*ax_acc.get_legend_handles_labels()):
            if t.startswith(("chance", "switch")):
                handles.append(h)
                labels.append(t)
        if handles:
            ax_loss.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)
        fig.suptitle(f"{suite.name} v{suite.version} [{tier}] {label}: mean over seeds, band = min..max", fontsize=11)
        fig.tight_layout()
        out.append(_save(fig, folder / f"{stem(suite, tier, 'curves-' + label)}.png", dpi=110))
    return out


@register_plot("fourier")
def fourier(suite: Suite, tier: str, records: list[RunRecord], folder: Path) -> list[Path]:
    """Fourier plots (docs/METHOD.md sec 5) from the analysis summaries records carry; none without them.

    Per data fraction: high-frequency Δ against depth with one line per arm (sweep order = suite
    order, lowest seed's summary), and Δ against frequency for each arm.
    """
    have = [r for r in records if isinstance(r.get("analysis", {}).get("fourier"), dict)]
    if not have:
        return []
    from ..analysis import plots as analysis_plots

    out = []
    order = _arm_order(suite)
    for (label,), recs in sorted(_by(have, "data_label").items()):
        first: dict[str, RunRecord] = {}
        for r in sorted(recs, key=lambda r: (order(r["arm"]), r["seed"])):
            first.setdefault(r["arm"], r)
        summaries = {arm_label(suite, a, recs): r["analysis"]["fourier"] for a, r in first.items()}
        title = f"{suite.name} v{suite.version} [{tier}] {label}"
        out.append(
            analysis_plots.plot_hf_vs_depth(
                summaries, folder / f"{stem(suite, tier, 'fourier-depth-' + label)}.png", title=title
            )
        )
        for a, r in first.items():
            out.append(
                analysis_plots.plot_delta_vs_freq(
                    r["analysis"]["fourier"],
                    folder / f"{stem(suite, tier, f'fourier-{a}-{label}')}.png",
                    title=f"{title}\n{arm_label(suite, a, recs)}, seed {r['seed']}",
                )
            )
    return out


def _timeline(record: RunRecord) -> np.ndarray | None:
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
def switch_timeline(suite: Suite, tier: str, records: list[RunRecord], folder: Path) -> list[Path]:
    """Layers x epochs per reparameterizable arm (lowest seed): grey while a convolution, then the
    positional mass on the layer's own kernel offset (1 = still a convolution, ~0.35 = ConViT's local
    init at strength 1 on 8x8 maps), from the records' per-epoch ``layers`` diagnostics."""
    order = {a: i for i, a in enumerate(suite.arms)}
    out = []
    for (label,), recs in sorted(_by(records, "data_label").items()):
        first: dict[str, RunRecord] = {}
        for r in sorted(recs, key=lambda r: (order.get(r["arm"], 99), r["seed"])):
            first.setdefault(r["arm"], r)
        grids = {a: (g, r["seed"]) for a, r in first.items() if (g := _timeline(r)) is not None}
        if not grids:
            continue
        plt = _pyplot()
        from matplotlib.ticker import MaxNLocator

        fig, axes = plt.subplots(
            len(grids), 1, figsize=(7, 0.8 + 1.5 * len(grids)), squeeze=False, sharex=True, layout="constrained"
        )
        cmap = plt.get_cmap("viridis").with_extremes(bad="lightgrey")
        image = None
        for ax, (arm, (grid, seed)) in zip(axes[:, 0], grids.items()):
            layers, epochs = grid.shape
            image = ax.imshow(
                np.ma.masked_invalid(grid),
                aspect="auto",
                origin="lower",
                cmap=cmap,
                vmin=0,
                vmax=1,
                extent=(0.5, epochs + 0.5, -0.5, layers - 0.5),
                interpolation="nearest",
            )
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
