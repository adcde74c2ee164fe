"""Final weights: safetensors + JSON sidecar, readable by standard tools, checked on load."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from bench.analysis.loading import eval_images
from bench.data.types import DataBundle
from bench.models import create_model
from bench.models.reparam import restore_reparam_state
from bench.suite.plan import RunSpec
from bench.train import RunContext, train_run
from bench.train.final import SIDECAR, WEIGHTS, CorruptWeights, read_final, save_final

CPU = torch.device("cpu")


def test_a_trained_reparam_model_reloads_from_the_standard_files(
    config: Callable[..., dict], tiny_data: DataBundle, tmp_path: Path
) -> None:
    """Rebuilt from the sidecar and ``load_file`` alone (no prs-bench reader), the model scores what the run did."""
    cfg = config(
        "reparam_vit_cpu_tiny", {"kind": "prs", "first": 0, "last": 1}, optimizer="adamw", lr=1e-3, weight_decay=0.05
    )
    result = train_run(RunSpec.adhoc(cfg, 0, config_hash="h-final"), tiny_data, RunContext(CPU, run_dir=tmp_path))
    assert result.status == "complete"
    meta = json.loads((tmp_path / SIDECAR).read_text())
    assert meta["config_hash"] == "h-final" and meta["model"]["name"] == "reparam_vit_cpu_tiny"
    assert "attention" in meta["reparam"]["phases"]  # the schedule switched layers
    model = create_model(meta["model"]["name"], num_classes=meta["model"]["num_classes"], **meta["model"]["kwargs"])
    restore_reparam_state(model, meta["reparam"])  # phases before the weights
    model.load_state_dict(load_file(tmp_path / WEIGHTS), strict=True)
    model.eval()
    with torch.no_grad():
        pred = model(eval_images(tiny_data, len(tiny_data.test))).argmax(1)
    acc = 100.0 * (pred.numpy() == tiny_data.test.y).mean()
    assert acc == pytest.approx(result.metrics["test_acc"], abs=1e-6)
    assert meta["metrics"]["test_acc"] == result.metrics["test_acc"]


def test_plain_timm_model_loads_the_weights(tmp_path: Path) -> None:
    """What docs/MODELS.md says: a ViT baseline's weights load into timm's VisionTransformer directly."""
    from timm.models.vision_transformer import VisionTransformer

    torch.manual_seed(0)
    ours = create_model("vit_tiny", num_classes=10).eval()
    save_final(
        tmp_path,
        ours,
        model_name="vit_tiny",
        model_kwargs={},
        num_classes=10,
        reparam=None,
        config_hash="h",
        metrics={"test_acc": float("nan")},
    )
    timm_model = VisionTransformer(img_size=32, patch_size=4, embed_dim=96, depth=4, num_heads=3, num_classes=10)
    timm_model.load_state_dict(load_file(tmp_path / WEIGHTS), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(timm_model.eval()(x), ours(x))
    meta = read_final(tmp_path / WEIGHTS).meta
    assert meta["model"]["class"] == "timm.models.vision_transformer.VisionTransformer"
    assert meta["metrics"]["test_acc"] is None  # JSON has no NaN


@pytest.mark.parametrize("damage", ["flip", "truncate", "no-sidecar", "other-run"])
def test_damaged_weights_are_refused(tmp_path: Path, damage: str) -> None:
    model = create_model("resnet_tiny", num_classes=10)
    path = save_final(
        tmp_path,
        model,
        model_name="resnet_tiny",
        model_kwargs={},
        num_classes=10,
        reparam=None,
        config_hash="h",
        metrics={},
    )
    assert set(read_final(path).state) == set(model.state_dict())
    blob = bytearray(path.read_bytes())
    if damage == "flip":
        blob[-5] ^= 0xFF
        path.write_bytes(bytes(blob))
    elif damage == "truncate":
        path.write_bytes(bytes(blob[: len(blob) // 2]))
    elif damage == "no-sidecar":
        (tmp_path / SIDECAR).unlink()
    else:  # a sidecar left by another run's weights
        other = tmp_path / "other"
        save_final(
            other,
            create_model("resnet_tiny", num_classes=10),
            model_name="resnet_tiny",
            model_kwargs={},
            num_classes=10,
            reparam=None,
            config_hash="h2",
            metrics={},
        )
        (tmp_path / SIDECAR).write_bytes((other / SIDECAR).read_bytes())
    with pytest.raises(CorruptWeights, match="sha256|sidecar"):
        read_final(path)


@pytest.mark.slow  # three fresh interpreters
def test_equal_weights_give_byte_identical_files_in_every_process(tmp_path: Path) -> None:
    """safetensors orders metadata keys by a per-process hash: equal trainings must still write
    equal files (the sha256 in the sidecar identifies the weights)."""
    import subprocess
    import sys

    script = (
        "import sys, torch; from pathlib import Path; from bench.models import create_model; "
        "from bench.train.final import save_final; torch.manual_seed(0); "
        "m = create_model('resnet_tiny', num_classes=4); "
        "save_final(Path(sys.argv[1]), m, model_name='resnet_tiny', model_kwargs={}, num_classes=4, "
        "reparam=None, config_hash='h', metrics={})"
    )
    blobs = []
    for i in range(3):
        out = tmp_path / str(i)
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, cwd=Path(__file__).parents[2])
        blobs.append((out / WEIGHTS).read_bytes())
    assert blobs[0] == blobs[1] == blobs[2]
