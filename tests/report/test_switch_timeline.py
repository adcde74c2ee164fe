"""The switch-timeline plot: layers x epochs from the records' per-epoch ``layers`` diagnostics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.records.metrics import TEST_ACC
from bench.report import tier_reports
from bench.report.plots import _timeline, write_plots
from tests.fakes import fake_records, toy_suite


def layers(epoch: int, switch: list[int]) -> list[dict]:
    return [
        {
            "layer": i,
            "phase": "attention" if epoch >= s else "conv",
            "soft": (0.1 if epoch == s else 0.5) if epoch >= s else None,
            "gate": (1.0 if epoch == s else 0.8) if epoch >= s else None,
            "locality": None,
            "pos_target_mass": None,
            "attn_distance": None,
        }
        for i, s in enumerate(switch)
    ]


def test_timeline_grid_and_plot(tmp_path) -> None:
    suite = toy_suite(tmp_path / "s", "")
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0], ("vit", 1.0): [71.0]})
    i = next(i for i, r in enumerate(recs) if r.arm == "vit")
    history = [{"epoch": e + 1, TEST_ACC: 50.0, "layers": layers(e, [2, 1, 0])} for e in range(4)]
    vit = recs[i] = replace(recs[i], history=history)
    grid = _timeline(vit)
    assert grid.shape == (3, 4)
    # conv, switch epoch, later: g (1 - s)
    assert np.isnan(grid[0, :2]).all() and grid[0, 2] == 0.9 and grid[0, 3] == 0.8 * 0.5
    assert grid[2, 0] == 0.9 and np.isnan(grid[1, 0])
    assert _timeline(next(r for r in recs if r.arm == "resnet")) is None  # no layers: no panel
    files = write_plots(tier_reports([suite], recs), tmp_path / "plots")
    timeline = [p for p in files if "switch-timeline" in p.name]
    assert [p.name for p in timeline] == ["toy-v1-quick-switch-timeline-synthetic-f1.png"]
    assert timeline[0].read_bytes()[:4] == b"\x89PNG"
