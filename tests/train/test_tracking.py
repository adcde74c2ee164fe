"""``--log-to tensorboard|wandb``: the trackers receive the record's per-epoch numbers and switch events.

Both are read back from what the backends wrote: TensorBoard's event file through its own
EventAccumulator, W&B's offline run file (``run-*.wandb``) record by record.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from bench.cli import main
from bench.data.types import DataBundle
from bench.errors import BenchError
from bench.suite.plan import RunSpec
from bench.train import RunContext, train_run
from bench.train.engine import CoreOptions
from bench.train.tracking import check_backends, scalars

CPU = torch.device("cpu")
SCHEDULE = {"kind": "prs", "first": 0, "last": 1}


def _train(config: Callable[..., dict], data: DataBundle, run_dir: Path, backend: str) -> Any:
    cfg = config("reparam_vit_cpu_tiny", SCHEDULE, optimizer="adamw", lr=1e-3, weight_decay=0.05, epochs=3)
    spec = RunSpec("demo", 1, "smoke", "prs", 0, "synthetic", cfg, "h-demo")
    result = train_run(spec, data, RunContext(CPU, CoreOptions(log_to=(backend,)), run_dir=run_dir))
    assert result.status == "complete"
    return result


def _switches_by_step(result: Any) -> dict[int, int]:
    """Layers switched as each epoch began, keyed by that epoch's (1-based) number."""
    out: dict[int, int] = {}
    for e in result.events:
        if e["event"] == "switch":
            out[e["epoch"] + 1] = out.get(e["epoch"] + 1, 0) + 1
    return out


def test_tensorboard_gets_the_record_history_and_switches(
    config: Callable[..., dict], tiny_data: DataBundle, tmp_path: Path
) -> None:
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = _train(config, tiny_data, tmp_path, "tensorboard")
    acc = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    for key in ("test_acc", "train_loss", "test_loss", "lr"):
        got = [(e.step, e.value) for e in acc.Scalars(key)]
        want = [(h["epoch"], h[key]) for h in result.history]
        assert [s for s, _ in got] == [s for s, _ in want]
        assert [v for _, v in got] == pytest.approx([v for _, v in want], rel=1e-6)
    switches = {e.step: int(e.value) for e in acc.Scalars("events/switch")}
    assert switches == _switches_by_step(result) and sum(switches.values()) == len(result.history[0]["layers"])
    gates = [t for t in tags if t.startswith("layers/") and t.endswith("/gate")]
    assert gates, tags  # per-layer diagnostics of switched layers
    texts = acc.Tags()["tensors"]
    assert "events/switch/text_summary" in texts


def _wandb_records(path: Path) -> list[Any]:
    """Decode W&B's run file: a 7-byte header, then 32 KiB blocks of (crc32, length, type) records."""
    from wandb.proto import wandb_internal_pb2 as pb

    blob = path.read_bytes()
    assert blob[:4] == b":W&B", blob[:8]
    records, pos, buf, block = [], 7, b"", 32768
    while pos + 7 <= len(blob):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", blob[pos : pos + 7])
        if length == 0 and kind == 0:
            pos += left
            continue
        buf += blob[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # full, last
            rec = pb.Record()
            rec.ParseFromString(buf)
            records.append(rec)
            buf = b""
    return records


def test_wandb_offline_gets_the_record_history_and_switches(
    config: Callable[..., dict], tiny_data: DataBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("wandb", reason="the wandb extra is not installed")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb-dir"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    result = _train(config, tiny_data, tmp_path / "run", "wandb")
    files = list((tmp_path / "run").glob("wandb/offline-run-*/run-*.wandb"))
    assert len(files) == 1, files
    records = _wandb_records(files[0])
    runs = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert runs and runs[0].display_name == "demo/v1/smoke/prs/synthetic/seed0"
    rows = []
    for r in records:
        if r.WhichOneof("record_type") == "history":
            rows.append({(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in r.history.item})
    rows = [row for row in rows if "test_acc" in row]
    assert [row["_step"] for row in rows] == [h["epoch"] for h in result.history]
    assert [row["test_acc"] for row in rows] == pytest.approx([h["test_acc"] for h in result.history], rel=1e-9)
    switches = {row["_step"]: int(row["events/switch"]) for row in rows if "events/switch" in row}
    assert switches == _switches_by_step(result)
    summary: dict[str, Any] = {}
    for r in records:
        if r.WhichOneof("record_type") == "summary":
            summary.update({(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in r.summary.update})
    assert summary["switch_events"] == [e for e in result.events if e["event"] == "switch"]
    assert summary["status"] == "complete"


def test_scalars_flatten_layers_and_drop_non_numbers() -> None:
    entry = {
        "epoch": 2,
        "test_acc": 50.0,
        "img_per_s": None,
        "loss": float("nan"),
        "layers": [
            {"layer": 0, "phase": "attention", "gate": 0.4, "attn_distance": 1.5},
            {"layer": 1, "phase": "conv", "gate": None, "attn_distance": None},
        ],
    }
    assert scalars(entry) == {
        "test_acc": 50.0,
        "layers/0/gate": 0.4,
        "layers/0/attn_distance": 1.5,
        "layers/0/attention": 1.0,
        "layers/1/attention": 0.0,
    }


def test_unknown_backend_is_one_line(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(BenchError, match="unknown"):
        check_backends(("mlflow",))
    assert main(["run", "--log-to", "mlflow", "--dry-run"]) == 2
    assert "mlflow" in capsys.readouterr().err
