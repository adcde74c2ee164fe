"""Plots written as PNG beside the leaderboard tables (matplotlib, Agg backend: no display needed).

Plot kinds are a registry: ``register_plot("name")`` on a function
``(view, folder, verdicts) -> list[Path]`` that draws one suite tier from its ``TierView`` (the
records that count for the tier) and its verdicts (``tiers.tier_reports``: the same view and
verdicts the leaderboard tables show). The built-ins draw accuracy against data fraction (mean
and 95% t-interval over seeds, one line per arm, with the reported numbers that band checks
compare against) and training curves per arm (switch epochs and the chance level marked). The
Fourier plots live with the analysis code: the ``fourier`` kind here hands each arm's
``analysis["fourier"]`` summary to ``bench.analysis.plots`` (plot_hf_vs_depth,
plot_delta_vs_freq) when the records carry those summaries.

Legends name what was trained: an arm whose tier trains another model than the arm's label
names (the smoke tiers' stand-ins, e.g. ``resnet_tiny`` for ResNet-18) is labelled with the
model from its records. Legends sit outside the axes, so they never cover a line.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..records import RunRecord, TierView
from ..records.metrics import TEST_ACC, TRAIN_LOSS
from ..registry import Registry
from ..verdicts import Verdict
from .tiers import TierReport

PlotFn = Callable[[TierView, Path, Sequence[Verdict]], list[Path]]
PLOTS: Registry[PlotFn] = Registry("plot")
register_plot = PLOTS.register
CONFIDENCE = 0.95


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def stem(view: TierView, kind: str) -> str:
    """File name (no suffix) of one plot of this suite tier: SUITE-vVERSION-TIER-KIND."""
    return f"{view.suite.name}-v{view.suite.version}-{view.tier}-{kind}"


def write_plots(reports: Sequence[TierReport], folder: Path) -> list[Path]:
    """Every registered plot of every tier with current records; returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for report in reports:
        if not report.view.records:
            continue
        for kind in PLOTS.names():
            out += PLOTS.get(kind)(report.view, folder, report.verdicts)
    return out


def arm_label(view: TierView, arm: str) -> str:
    """The arm's label when its records trained the arm's own model, else the model(s) trained."""
    suite = view.suite
    trained = sorted({r.config["model"]["name"] for r in view.arm_records(arm)})
    declared = suite.arms[arm]["model"] if arm in suite.arms else None
    if not trained or trained == [declared]:
        return suite.arm_label(arm)
    return f"{', '.join(trained)} ({arm} arm)"


def _arms(view: TierView, data_label: str | None = None) -> list[str]:
    """Arms with records (at ``data_label``, or at any), in suite order."""
    order = {a: i for i, a in enumerate(view.suite.arms)}
    have = {r.arm for r in view.records if data_label is None or r.data_label == data_label}
    return sorted(have, key=lambda a: order.get(a, len(order)))


def _data_labels(view: TierView, keep: Callable[[RunRecord], bool] = lambda r: True) -> list[str]:
    """Data labels with records (that ``keep`` accepts), sorted: one figure each, named by the label."""
    return sorted({r.data_label for r in view.records if keep(r)})


def _fractions(view: TierView) -> dict[str, float]:
    """data label -> training-set fraction, for the labels with records, by fraction."""
    have = set(_data_labels(view))
    return dict(sorted(((k, f) for k, f in view.fractions().items() if k in have), key=lambda kv: kv[1]))


def _lowest_seeds(
    view: TierView, data_label: str, keep: Callable[[RunRecord], bool] = lambda r: True
) -> dict[str, RunRecord]:
    """Each arm's lowest-seed record at ``data_label`` (of those ``keep`` accepts), in suite order."""
    out = {}
    for arm in _arms(view, data_label):
        recs = [r for r in view.arm_records(arm, data_label) if keep(r)]
        if recs:
            out[arm] = min(recs, key=lambda r: r.seed)
    return out


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


@dataclass(frozen=True)
class ReportedPoint:
    """A reported number a band check compared an arm with, placed at its data fraction."""

    arm: str
    fraction: float
    value: float
    lo: float | None  # the check's band; None when the band is a test rather than an interval
    hi: float | None
    label: str  # the leaderboard's Reference label, e.g. "70 [toy-single]"


def reported_points(view: TierView, verdicts: Sequence[Verdict]) -> list[ReportedPoint]:
    """Band checks against a reported number (the leaderboard's ``Reference``) at a data fraction
    with records; comparisons with another arm or with this run's own reference are left out."""
    from .leaderboard import Reference

    fractions = _fractions(view)
    out = []
    for v in verdicts:
        if v.check != "band" or "reference_label" not in v.numbers or not v.arms or v.data not in fractions:
            continue
        ref = Reference.from_verdict(v)
        if ref.arm is not None or ref.value is None or ref.source == "this run":
            continue
        out.append(ReportedPoint(v.arms[0], fractions[v.data], ref.value, ref.lo, ref.hi, ref.label))
    return out


@register_plot("accuracy_vs_fraction")
def accuracy_vs_fraction(view: TierView, folder: Path, verdicts: Sequence[Verdict]) -> list[Path]:
    """Top-1 against training-set fraction: mean and 95% t-interval over seeds per arm, each seed's
    value as a dot, and the reported numbers band checks compare against (drawn with >= 2 fractions)."""
    points = _fractions(view)
    if len(points) < 2:
        return []
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = {}
    single = False
    for arm in _arms(view):
        pts = []
        for label, f in points.items():
            vals = view.values(arm, label, TEST_ACC)
            if vals:
                mean, half = mean_ci(vals)
                single |= half is None
                pts.append((f, mean, 0.0 if half is None else half, len(vals), vals))
        if not pts:
            continue
        xs, means, halves, counts, per_seed = zip(*pts)
        seeds = f"n={min(counts)}" if min(counts) == max(counts) else f"n={min(counts)}-{max(counts)}"
        line = ax.errorbar(xs, means, yerr=halves, marker="o", capsize=3, label=f"{arm_label(view, arm)} ({seeds})")
        colors[arm] = line.lines[0].get_color()
        for f, v in zip(xs, per_seed):
            if len(v) > 1:
                ax.scatter([f] * len(v), v, s=9, color=colors[arm], alpha=0.35, lw=0, zorder=1)
    for rep in reported_points(view, verdicts):
        color = colors.get(rep.arm, "black")
        lo, hi = rep.lo, rep.hi
        yerr = [[rep.value - lo], [hi - rep.value]] if lo is not None and hi is not None else None
        ax.errorbar(
            [rep.fraction],
            [rep.value],
            yerr=yerr,
            marker="*",
            ms=11,
            mfc="white",
            mec=color,
            ecolor=color,
            ls="none",
            capsize=4,
            alpha=0.9,
            label=f"reported: {rep.label} (check band)" if yerr else f"reported: {rep.label}",
        )
    ax.set_xscale("log")
    ax.set_xticks(list(points.values()), [f"{f:g}" for f in points.values()])
    ax.minorticks_off()
    ax.set_xlabel("training-set fraction (log scale)")
    bars = f"mean, {100 * CONFIDENCE:g}% t-interval over seeds" + ("; dots = seeds" if not single else "")
    ax.set_ylabel("test top-1 (%)")
    ax.set_title(f"{_title(view)}\n{bars}", fontsize=10)
    ax.grid(alpha=0.3)
    _outside_legend(ax)
    return [_save(fig, folder / f"{stem(view, 'accuracy-vs-fraction')}.png")]


def _title(view: TierView) -> str:
    """Suite, version and tier; a pipeline-check tier's plots say they are no result."""
    check = view.suite.tier_kind(view.tier) == "pipeline-check"
    return f"{view.suite.name} v{view.suite.version} [{view.tier}" + (
        ": pipeline check, says nothing about the paper]" if check else "]"
    )


def switch_epochs(records: Sequence[RunRecord]) -> list[int]:
    """Epochs (0-based = epochs completed when it happened) at which some layer switched."""
    return sorted({int(e["epoch"]) for r in records for e in r.events if e.get("event") == "switch"})


def chance_level(records: Sequence[RunRecord]) -> float | None:
    """100 / classes when the records agree on the number of classes, else None."""
    classes = {r.metrics.get("num_classes") or r.config["data"].get("num_classes") for r in records}
    classes.discard(None)
    return 100.0 / classes.pop() if len(classes) == 1 else None


@register_plot("training_curves")
def training_curves(view: TierView, folder: Path, verdicts: Sequence[Verdict]) -> list[Path]:
    """Test top-1 and train loss per epoch for each arm at each data fraction (mean, band = min..max
    over seeds), with each arm's switch epochs (dotted, the arm's colour) and the chance level."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    out = []
    for label in _data_labels(view):
        fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
        any_switch = False
        for arm in _arms(view, label):
            arm_recs = view.arm_records(arm, label)
            color = None
            for ax, key in ((ax_acc, TEST_ACC), (ax_loss, TRAIN_LOSS)):
                curves = [[h.get(key, np.nan) for h in r.history] for r in arm_recs if r.history]
                if not curves:
                    continue
                n = min(len(c) for c in curves)
                arr = np.asarray([c[:n] for c in curves], dtype=float)
                ep = np.arange(1, n + 1)
                with warnings.catch_warnings():  # an epoch no seed recorded stays NaN (a gap), silently
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean, low, high = np.nanmean(arr, axis=0), np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)
                (line,) = ax.plot(
                    ep, mean, color=color, marker="o", ms=2.5, label=f"{arm_label(view, arm)} (n={len(curves)})"
                )
                color = line.get_color()
                if len(curves) > 1:
                    ax.fill_between(ep, low, high, alpha=0.2, color=color)
                for e in switch_epochs(arm_recs):
                    any_switch = True
                    ax.axvline(e, color=color, ls=":", lw=1.2, alpha=0.8)
        chance = chance_level([r for r in view.records if r.data_label == label])
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
        fig.suptitle(f"{_title(view)} {label}: mean over seeds, band = min..max", fontsize=11)
        fig.tight_layout()
        out.append(_save(fig, folder / f"{stem(view, 'curves-' + label)}.png", dpi=110))
    return out


def _fourier(record: RunRecord) -> dict[str, Any] | None:
    """The record's Fourier summary (``analysis["fourier"]``), None when it has none."""
    summary = (record.analysis or {}).get("fourier")
    return summary if isinstance(summary, dict) else None


def _has_fourier(record: RunRecord) -> bool:
    return _fourier(record) is not None


@register_plot("fourier")
def fourier(view: TierView, folder: Path, verdicts: Sequence[Verdict]) -> list[Path]:
    """Fourier plots (docs/METHOD.md sec 5) from the analysis summaries records carry; none without them.

    Per data fraction: high-frequency Δ against depth with one line per arm (sweep order = suite
    order, lowest seed's summary), and Δ against frequency for each arm.
    """
    labels = _data_labels(view, keep=_has_fourier)
    if not labels:
        return []
    from ..analysis import plots as analysis_plots

    out = []
    for label in labels:
        first = _lowest_seeds(view, label, keep=_has_fourier)
        summaries = {a: (r.seed, s) for a, r in first.items() if (s := _fourier(r)) is not None}
        title = f"{_title(view)} {label}"
        out.append(
            analysis_plots.plot_hf_vs_depth(
                {arm_label(view, a): s for a, (_, s) in summaries.items()},
                folder / f"{stem(view, 'fourier-depth-' + label)}.png",
                title=title,
            )
        )
        for a, (seed, summary) in summaries.items():
            out.append(
                analysis_plots.plot_delta_vs_freq(
                    summary,
                    folder / f"{stem(view, f'fourier-{a}-{label}')}.png",
                    title=f"{title}\n{arm_label(view, a)}, seed {seed}",
                )
            )
    return out


def _timeline(record: RunRecord) -> np.ndarray | None:
    """(layers, epochs) the hard map's share g (1 - s) from the history's ``layers`` (1 = the convolution);
    NaN while a layer is a convolution or where a record (before suite v5) has no learned shares."""
    hist = [h.get("layers") or [] for h in record.history]
    if not hist or not all(hist):
        return None
    out = np.full((len(hist[0]), len(hist)), np.nan)
    for e, layers in enumerate(hist):
        for d in layers:
            if d.get("phase") == "attention" and d.get("soft") is not None and d.get("gate") is not None:
                out[d["layer"], e] = d["gate"] * (1 - d["soft"])
    return out


@register_plot("switch_timeline")
def switch_timeline(view: TierView, folder: Path, verdicts: Sequence[Verdict]) -> list[Path]:
    """Layers x epochs per reparameterizable arm (lowest seed): grey while a convolution, then the share
    of the attention that is still the convolution's hard map, g (1 - s) (1 = exactly the convolution,
    0 = fully learned soft/content attention; ConViT's init is 0), from the records' per-epoch
    ``layers`` diagnostics: learned, since nothing but an ablation arm imposes it."""
    out = []
    for label in _data_labels(view):
        first = _lowest_seeds(view, label)
        grids = {a: (g, r.seed) for a, r in first.items() if (g := _timeline(r)) is not None}
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
            ax.set_title(f"{arm_label(view, arm)} (seed {seed})", fontsize=8, loc="left")
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes[-1, 0].set_xlabel("epoch (end of)")
        fig.colorbar(image, ax=axes[:, 0].tolist(), label="conv share g(1-s) (grey: convolution)", shrink=0.9)
        fig.suptitle(f"{_title(view)} {label}: switch timeline", fontsize=9)
        p = folder / f"{stem(view, 'switch-timeline-' + label)}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        out.append(p)
    return out
