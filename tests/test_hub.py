"""`bench.hub`: a run's final weights load through timm's own calls (the round trip of issue 24)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import timm
import timm.data
import torch

import bench.hub
from bench.analysis.loading import eval_images
from bench.data.synthetic import make_synthetic
from bench.data.types import DataBundle
from bench.errors import BenchError
from bench.models import create_model, list_models
from bench.suite.plan import RunSpec
from bench.train import RunContext, train_run
from bench.train.final import SIDECAR, TIMM_CONFIG, WEIGHTS, copy_final
from tests.train.conftest import make_config

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data() -> DataBundle:
    return make_synthetic(num_classes=10, n_train=64, n_test=32, seed=0)


@pytest.fixture(scope="module")
def trained(data: DataBundle, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A reparam ViT trained by the core with a PRS schedule (layers switched): its folder and top-1."""
    run_dir = tmp_path_factory.mktemp("run")
    cfg = make_config("reparam_vit_cpu_tiny", {"kind": "prs", "first": 0, "last": 1}, optimizer="adamw", lr=1e-3)
    result = train_run(RunSpec.adhoc(cfg, 0, config_hash="h-hub"), data, RunContext(CPU, run_dir=run_dir))
    assert result.status == "complete"
    return run_dir, float(result.metrics["test_acc"])


def _top1(model: torch.nn.Module, data: DataBundle) -> float:
    with torch.no_grad():
        pred = model.eval()(eval_images(data, len(data.test))).argmax(1)
    return 100.0 * float((pred.numpy() == data.test.y).mean())


def test_every_registry_model_is_a_timm_model() -> None:
    assert set(bench.hub.REGISTERED) == set(list_models())
    assert set(timm.list_models("reparam_vit*")) >= {"reparam_vit_cpu_tiny", "reparam_vit_tiny_p4"}
    torch.manual_seed(0)
    ours = create_model("vit_tiny", num_classes=10)
    torch.manual_seed(0)
    theirs = timm.create_model("vit_tiny", num_classes=10)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(ours.eval()(x), theirs.eval()(x))  # the same architecture, the same init


def test_a_run_folder_loads_with_timm_and_scores_what_the_run_did(trained, data: DataBundle) -> None:
    run_dir, acc = trained
    config = json.loads((run_dir / TIMM_CONFIG).read_text())
    assert config["architecture"] == "reparam_vit_cpu_tiny" and config["num_classes"] == 10
    assert config["pretrained_cfg"]["input_size"] == [3, 32, 32]
    by_folder = timm.create_model(f"local-dir:{run_dir}", pretrained=True)
    by_file = timm.create_model("reparam_vit_cpu_tiny", pretrained_cfg_overlay=dict(file=str(run_dir / WEIGHTS)))
    assert _top1(by_folder, data) == pytest.approx(acc, abs=1e-9)
    x = eval_images(data, 8)
    with torch.no_grad():
        assert torch.equal(by_folder.eval()(x), by_file.eval()(x))
    resolved = timm.data.resolve_data_config(model=by_file)
    mean, std = data.normalization()
    assert resolved["input_size"] == (3, 32, 32)
    assert resolved["mean"] == pytest.approx(mean) and resolved["std"] == pytest.approx(std)


def test_reused_weights_carry_the_timm_config(trained, tmp_path: Path) -> None:
    run_dir, _ = trained
    assert copy_final(run_dir, tmp_path, "h-other")
    assert (tmp_path / TIMM_CONFIG).read_text() == (run_dir / TIMM_CONFIG).read_text()
    assert json.loads((tmp_path / SIDECAR).read_text())["config_hash"] == "h-other"


def test_refusals_are_one_line(trained, tmp_path: Path) -> None:
    run_dir, _ = trained
    with pytest.raises(BenchError, match="publishes no weights"):
        timm.create_model("vit_tiny", pretrained=True)
    with pytest.raises(BenchError, match="weights of model 'reparam_vit_cpu_tiny', not 'vit_tiny'"):
        timm.create_model("vit_tiny", pretrained_cfg_overlay=dict(file=str(run_dir)))
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in (WEIGHTS, SIDECAR, TIMM_CONFIG):
        (damaged / name).write_bytes((run_dir / name).read_bytes())
    blob = bytearray((damaged / WEIGHTS).read_bytes())
    blob[-1] ^= 0xFF
    (damaged / WEIGHTS).write_bytes(bytes(blob))
    with pytest.raises(BenchError, match="sha256") as info:
        timm.create_model(f"local-dir:{damaged}", pretrained=True)
    assert str(damaged) in str(info.value) and "\n" not in str(info.value)
