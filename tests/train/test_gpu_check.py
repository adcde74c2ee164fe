"""``prs-bench gpu-check --device cpu --quick`` runs every part of the GPU check (perf, the core with
the GPU defaults through a switch, one process through torchrun with gloo) and writes its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main

pytestmark = pytest.mark.slow


def test_quick_gpu_check_on_cpu(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "gpu-check.json"
    assert (
        main(["gpu-check", "--device", "cpu", "--quick", "--models", "resnet_tiny,vit_tiny", "--json", str(out)]) == 0
    )
    report = json.loads(out.read_text())
    assert [r["model"] for r in report["perf"]] == ["resnet_tiny", "vit_tiny"]
    assert all(r["core_img_s"] > 0 and r["plain_img_s"] > 0 and r["train_gflop_per_image"] > 0 for r in report["perf"])
    core = report["core_run"]
    assert core["status"] == "complete" and core["switches"] > 0
    assert core["engine"] == {"compile": False, "precision": "bf16", "channels_last": True, "fused": True}
    ddp = report["ddp_run"]
    assert ddp["status"] == "complete" and ddp["backend"] == "gloo" and ddp["ddp"] is True and ddp["world"] == 1
    printed = capsys.readouterr().out
    assert "| resnet_tiny" in printed and "torchrun 1 process: complete" in printed


def test_gpu_check_refuses_a_full_run_on_cpu(capsys: pytest.CaptureFixture) -> None:
    assert main(["gpu-check", "--device", "cpu"]) == 2
    assert "--quick" in capsys.readouterr().err
