"""fourier_summary: batch-size independence, record-field shape, and the two plots."""

from __future__ import annotations

import json

import pytest
import torch

from bench.analysis.capture import capture_features
from bench.analysis.fourier import relative_log_amplitude
from bench.analysis.plots import pi_label, pi_ticks, plot_delta_vs_freq, plot_hf_vs_depth
from bench.analysis.summary import fourier_profile, fourier_summary
from bench.models import create_model


@pytest.fixture(scope="module")
def vit() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("vit_tiny", num_classes=10)


def test_batches_average_like_one_batch(vit: torch.nn.Module) -> None:
    x = torch.randn(7, 3, 32, 32)
    whole = fourier_profile(vit, x, batch_size=7)
    split = fourier_profile(vit, x, batch_size=3)
    direct = [relative_log_amplitude(c.fmap)[1] for c in capture_features(vit, x)]
    for a, b, d in zip(whole, split, direct):
        torch.testing.assert_close(a.delta, b.delta, atol=1e-5, rtol=0)
        torch.testing.assert_close(a.delta, d, atol=1e-5, rtol=0)


def test_summary_record_field(vit: torch.nn.Module) -> None:
    s = fourier_summary(vit, torch.randn(4, 3, 32, 32), batch_size=2)
    json.dumps(s, allow_nan=False)
    blocks = s["blocks"]  # site 0 (the embedding) then attention and MLP of 4 blocks
    assert len(blocks) == 9 and s["images"] == 4 and s["image_size"] == 32
    assert [b["depth"] for b in blocks] == pytest.approx([i / 8 for i in range(9)])
    assert [b["kind"] for b in blocks] == ["embed"] + ["attention", "mlp"] * 4
    assert [b["attention"] for b in blocks] == [False] + [True, False] * 4
    assert all(b["hf_freq"] == 0.75 and b["map_size"] == 8 and b["delta"][0] == 0 for b in blocks)
    assert s["hf_delta"] == [b["hf_delta"] for b in blocks]
    assert s["hf_delta_mean"] == pytest.approx(sum(s["hf_delta"]) / 9)
    assert blocks[0]["hf_change"] is None
    assert blocks[1]["hf_change"] == pytest.approx(blocks[1]["hf_delta"] - blocks[0]["hf_delta"])
    assert set(s["hf_change_mean"]) == {"embed", "attention", "conv", "mlp"} and s["hf_change_mean"]["conv"] is None
    mixers = [blocks[i]["hf_change"] for i in (1, 3, 5, 7)]  # every attention site, the first against site 0
    assert s["hf_change_mixer_mean"] == pytest.approx(sum(mixers) / 4)


def test_resnet_change_skips_downsampling() -> None:
    torch.manual_seed(0)
    s = fourier_summary(create_model("resnet_tiny", num_classes=10), torch.randn(2, 3, 32, 32))
    assert [b["map_size"] for b in s["blocks"]] == [32, 32, 16, 8, 4]  # the stem, then one block per stage
    assert [b["hf_freq"] for b in s["blocks"]] == [30 / 32, 30 / 32, 14 / 16, 6 / 8, 2 / 4]
    # a change only where the map size stays: the first block against the stem
    assert [b["hf_change"] is None for b in s["blocks"]] == [True, False, True, True, True]
    assert s["hf_change_mixer_mean"] == pytest.approx(s["blocks"][1]["hf_change"])


def test_bad_images() -> None:
    with pytest.raises(ValueError, match=r"\(0, 3, 32, 32\)"):
        fourier_profile(torch.nn.Identity(), torch.zeros(0, 3, 32, 32))


def test_pi_axis_labels() -> None:
    assert [pi_label(t) for t in pi_ticks(0.875)] == ["0", "0.25π", "0.5π", "0.75π", "0.875π"]
    assert [pi_label(t) for t in pi_ticks(0.5)] == ["0", "0.25π", "0.5π"]
    assert pi_label(1.0) == "π"


def test_plots_written(vit: torch.nn.Module, tmp_path) -> None:
    s = fourier_summary(vit, torch.randn(2, 3, 32, 32))
    for p in (
        plot_delta_vs_freq(s, tmp_path / "a.png"),
        plot_hf_vs_depth(s, tmp_path / "b.png"),
        plot_hf_vs_depth({"x": s, "y": s}, tmp_path / "c.png"),
    ):
        assert p.stat().st_size > 5000 and p.read_bytes()[:4] == b"\x89PNG"
