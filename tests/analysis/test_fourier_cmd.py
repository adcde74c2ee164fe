"""``prs-bench fourier``: from a run record + run dir, from a bare checkpoint, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bench.cli import main
from bench.models import create_model
from bench.records import RecordStore, RunRecord
from bench.suite.hashing import content_hash

CONFIG = {
    "model": {"name": "vit_tiny", "kwargs": {}},
    "data": {"source": "synthetic", "num_classes": 10, "n_train": 10, "n_test": 12},
    "schedule": {"kind": "never"},
    "recipe": {},
}
RELPATH = "demo/v1/smoke/vit/synthetic-f1/seed0.json"


def _record(status: str = "complete") -> RunRecord:
    return RunRecord.from_dict(
        {
            "schema": 1,
            "suite": "demo",
            "version": 1,
            "tier": "smoke",
            "arm": "vit",
            "seed": 0,
            "data_label": "synthetic-f1",
            "status": status,
            "error": None,
            "config": CONFIG,
            "config_hash": content_hash({"suite": "demo", "version": 1, "config": CONFIG}),
            "metrics": {"test_acc": 10.0},
            "history": [{"epoch": 1, "train_loss": 2.0, "test_acc": 10.0}],
            "provenance": {},
        }
    )


@pytest.fixture
def results(tmp_path: Path) -> Path:
    store = RecordStore(tmp_path / "results")
    store.write(RELPATH, _record())
    torch.manual_seed(0)
    run_dir = store.run_dir(RELPATH)
    run_dir.mkdir(parents=True)
    torch.save({"model": create_model("vit_tiny", num_classes=10).state_dict(), "config": CONFIG}, run_dir / "final.pt")
    return store.root


def test_from_run_record(results: Path, capsys: pytest.CaptureFixture) -> None:
    assert (
        main(["fourier", RELPATH.removesuffix(".json"), "--results", str(results), "--images", "5", "--device", "cpu"])
        == 0
    )
    out = results / "fourier" / RELPATH.removesuffix(".json")
    summary = json.loads((out / "fourier.json").read_text())
    assert summary["images"] == 5 and summary["source"]["run"] == RELPATH and len(summary["blocks"]) == 9
    assert (out / "delta_vs_freq.png").is_file() and (out / "hf_vs_depth.png").is_file()
    assert "0.75π" in capsys.readouterr().out


def test_from_record_file_and_explicit_checkpoint(results: Path, tmp_path: Path) -> None:
    ckpt = RecordStore(results).run_dir(RELPATH) / "final.pt"
    assert (
        main(
            [
                "fourier",
                str(results / "runs" / RELPATH),
                "--checkpoint",
                str(ckpt),
                "--images",
                "3",
                "--out",
                str(tmp_path / "o"),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "o" / "fourier.json").read_text())["source"]["checkpoint"] == str(ckpt)


def test_checkpoint_alone_needs_its_config(results: Path, tmp_path: Path) -> None:
    ckpt = RecordStore(results).run_dir(RELPATH) / "final.pt"
    assert main(["fourier", "--checkpoint", str(ckpt), "--images", "2", "--out", str(tmp_path / "o")]) == 0
    bare = tmp_path / "bare.pt"
    torch.save(torch.load(ckpt)["model"], bare)
    assert main(["fourier", "--checkpoint", str(bare)]) == 2


def test_errors_are_one_line(results: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["fourier", "nope", "--results", str(results)]) == 2
    assert "no run record" in capsys.readouterr().err
    (RecordStore(results).run_dir(RELPATH) / "final.pt").unlink()
    assert main(["fourier", RELPATH, "--results", str(results)]) == 2
    assert "pass --checkpoint" in capsys.readouterr().err
    assert main(["fourier"]) == 2


def test_training_core_checkpoint_format(results: Path, tmp_path: Path) -> None:
    """The core's self-checking ``checkpoints/ckpt-*.pt`` is found and decoded; the newest valid one wins."""
    from bench.train.checkpoint import save_checkpoint

    run_dir = RecordStore(results).run_dir(RELPATH)
    state = torch.load(run_dir / "final.pt")
    (run_dir / "final.pt").unlink()
    save_checkpoint(run_dir, {"model": state["model"], "epoch": 1}, global_step=10)
    newest = save_checkpoint(run_dir, {"model": state["model"], "epoch": 2}, global_step=20)
    assert main(["fourier", RELPATH, "--results", str(results), "--images", "2", "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "fourier.json").read_text())["source"]["checkpoint"] == str(newest)


def test_core_final_weights_of_a_switched_reparam_model(tmp_path: Path) -> None:
    """The core's ``final.safetensors`` (checked against ``final.json``): phases are restored from the weights."""
    from bench.analysis.loading import analyse_checkpoint, eval_images, find_checkpoint, read_checkpoint
    from bench.analysis.summary import fourier_summary
    from bench.data import load_data
    from bench.models.reparam import reparam_state, switch_layer
    from bench.train.final import save_final

    config = {**CONFIG, "model": {"name": "reparam_vit_cpu_tiny", "kwargs": {}}}
    torch.manual_seed(0)
    model = create_model("reparam_vit_cpu_tiny", num_classes=10).eval()
    switch_layer(model, 2)
    save_final(
        tmp_path,
        model,
        model_name="reparam_vit_cpu_tiny",
        model_kwargs={},
        num_classes=10,
        reparam=reparam_state(model),
        config_hash="abc",
        metrics={},
    )
    path = find_checkpoint(tmp_path)
    assert path.name == "final.safetensors"
    data = load_data(config["data"])
    got = analyse_checkpoint(config, data, read_checkpoint(path), images=4)
    want = fourier_summary(model, eval_images(data, 4))
    assert [b["kind"] for b in got["blocks"]][::2] == ["embed", "mlp", "mlp", "mlp", "mlp"]
    assert [b["kind"] for b in got["blocks"]][1::2] == ["conv", "conv", "attention", "conv"]
    assert got["hf_delta"] == pytest.approx(want["hf_delta"], abs=1e-9)


def test_damaged_final_weights_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from bench.train.final import save_final

    path = save_final(
        tmp_path,
        create_model("vit_tiny", num_classes=10),
        model_name="vit_tiny",
        model_kwargs={},
        num_classes=10,
        reparam=None,
        config_hash="abc",
        metrics={},
    )
    path.write_bytes(path.read_bytes()[:-10])
    assert main(["fourier", "--checkpoint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sha256" in err and len(err.strip().splitlines()) == 1


def test_checkpoint_of_another_config_is_refused(results: Path, capsys: pytest.CaptureFixture) -> None:
    from bench.train.final import save_final

    run_dir = RecordStore(results).run_dir(RELPATH)
    save_final(
        run_dir,
        create_model("vit_tiny", num_classes=10),
        model_name="vit_tiny",
        model_kwargs={},
        num_classes=10,
        reparam=None,
        config_hash="0123456789abcdef",
        metrics={},
    )
    assert main(["fourier", RELPATH, "--results", str(results)]) == 2
    assert "0123456789ab" in capsys.readouterr().err
