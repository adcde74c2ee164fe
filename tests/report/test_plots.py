"""What the plots draw: labels from the trained model, intervals, reported points, switch and
chance markers, and legends that stay clear of the axes."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

import bench.report.plots as plots
from bench.records import build_tier_view
from bench.report import tier_reports
from bench.report.plots import (
    ReportedPoint,
    arm_label,
    chance_level,
    mean_ci,
    reported_points,
    switch_epochs,
    training_curves,
    write_plots,
)
from bench.verdicts import evaluate
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

VALS = {
    ("resnet", 0.1): [50.0, 50.5, 51.0],
    ("resnet", 1.0): [70.0, 70.5, 71.0],
    ("vit", 0.1): [40.0, 40.5, 41.0],
    ("vit", 1.0): [75.0, 75.5, 76.0],
}
BAND = ck("band", arm="resnet", reference="toy-single", fraction=1.0, tolerance=1.0)


def test_legend_names_the_model_the_records_trained(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path, "")
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0], ("vit", 1.0): [71.0]})
    assert arm_label(build_tier_view(suite, "quick", recs), "resnet") == "RESNET"  # the arm's own model: its label
    for r in recs:
        if r.arm == "resnet":
            r.config["model"]["name"] = "resnet18_cifar"  # a tier that trains another model (same config hash)
    assert arm_label(build_tier_view(suite, "quick", recs), "resnet") == "resnet18_cifar (resnet arm)"


def test_mean_and_t_interval() -> None:
    m, half = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and half == pytest.approx(stats.t.ppf(0.975, 2) * 1.0 / 3**0.5)
    assert mean_ci([4.0]) == (4.0, None)


def test_reported_points_come_from_band_verdicts(tmp_path: Path, baselines: Any) -> None:
    suite = toy_suite(tmp_path, BAND, fractions=(0.1, 1.0))
    recs = fake_records(suite, "quick", VALS)
    view = build_tier_view(suite, "quick", recs)
    pts = reported_points(view, evaluate(view, baselines))
    assert pts == [ReportedPoint("resnet", fraction=1.0, value=70.0, lo=69.0, hi=71.0, label="70 [toy-single]")]


def test_switch_epochs_and_chance(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path, "")
    recs = fake_records(suite, "quick", {("vit", 1.0): [71.0, 72.0]})
    events = [
        {"event": "switch", "epoch": 1, "layer": 0},
        {"event": "resume", "epoch": 2},
        {"event": "switch", "epoch": 0, "layer": 1},
    ]
    recs[0] = replace(recs[0], events=events)
    assert switch_epochs(recs) == [0, 1]
    assert chance_level(recs) == 10.0


def _figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = plots._save

    def save(fig: Any, path: Path, dpi: int = 120) -> Path:
        fig.canvas.draw()
        seen.append(fig)
        return real(fig, path, dpi)

    monkeypatch.setattr(plots, "_save", save)
    return seen


def _overlaps(a: Any, b: Any) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_legends_stay_outside_the_axes(tmp_path: Path, baselines: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = toy_suite(tmp_path / "s", BAND, fractions=(0.1, 1.0))
    recs = fake_records(suite, "quick", VALS)
    figs = _figures(monkeypatch)
    files = write_plots(tier_reports([suite], recs, baselines=baselines), tmp_path / "out")
    assert len(files) == 3 and len(figs) == 3
    for fig in figs:
        legends = [lg for ax in fig.axes if (lg := ax.get_legend()) is not None]
        assert legends
        for lg in legends:
            box = lg.get_window_extent()
            assert not any(_overlaps(box, ax.get_window_extent()) for ax in fig.axes), lg


def test_curves_mark_switches_and_chance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = toy_suite(tmp_path / "s", "")
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0], ("vit", 1.0): [71.0]})
    switch = [{"event": "switch", "epoch": 1, "layer": 0}]
    recs = [replace(r, events=switch) if r.arm == "vit" else r for r in recs]
    figs = _figures(monkeypatch)
    training_curves(build_tier_view(suite, "quick", recs), tmp_path, [])
    ax_acc = figs[0].axes[0]
    vertical = [ln.get_xdata()[0] for ln in ax_acc.lines if list(ln.get_xdata()) == [1, 1]]
    horizontal = [ln.get_ydata()[0] for ln in ax_acc.lines if list(ln.get_ydata()) == [10.0, 10.0]]
    assert vertical == [1] and horizontal == [10.0]
    labels = figs[0].axes[1].get_legend().get_texts()
    assert [t.get_text() for t in labels] == [
        "RESNET (n=1)",
        "VIT (n=1)",
        "chance (10%)",
        "switch (x = epochs done; arm colour)",
    ]


def test_curves_of_a_tier_that_evaluates_only_at_the_end_warn_nothing(tmp_path: Path) -> None:
    """eval_every > 1 leaves epochs without test_acc in every seed: a gap in the curve, no warning
    (numpy's "All-NaN slice" reached users' terminals through the band's min/max)."""
    suite = toy_suite(tmp_path / "s", "")
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 71.0]})
    recs = [replace(r, history=[{**r.history[0], "test_acc": None}, r.history[1]]) for r in recs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert training_curves(build_tier_view(suite, "quick", recs), tmp_path, [])
