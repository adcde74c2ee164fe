"""Run records: atomic, complete provenance, never silently overwritten, corrupt files named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bench.errors import BenchError
from bench.records import RecordStore, atomic_write_json, collect_provenance, make_record
from bench.train.types import TrainResult


class Spec:
    suite, version, tier, arm, seed, data_label = "s", 1, "smoke", "a", 0, "synthetic-f1"
    config = {"model": {"name": "resnet_tiny", "kwargs": {}}}
    config_hash = "h" * 64
    relpath = "s/v1/smoke/a/synthetic-f1/seed0.json"


def record(status: str = "complete") -> dict:
    res = TrainResult(status, metrics={"test_acc": 50.0}, history=[{"epoch": 1, "train_loss": 1.0}])
    return make_record(Spec, res, collect_provenance(torch.device("cpu")), 1.5, {"source": "synthetic"})


def test_provenance_is_complete() -> None:
    prov = collect_provenance(torch.device("cpu"))
    for key in ("packages", "python", "torch_cuda", "device", "device_name", "threads", "git"):
        assert key in prov
    assert prov["packages"]["torch"] == torch.__version__.split("+")[0] or prov["packages"]["torch"]
    assert prov["threads"] == torch.get_num_threads()
    assert set(prov["git"]) == {"commit", "dirty"}


def test_write_read_roundtrip_and_no_silent_overwrite(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    rec = record()
    store.write(Spec.relpath, rec)
    assert store.read(Spec.relpath) == json.loads(json.dumps(rec))
    assert store.is_complete(Spec.relpath, Spec.config_hash)
    assert not store.is_complete(Spec.relpath, "other")
    with pytest.raises(BenchError, match="already holds a complete run; pass --rerun"):
        store.write(Spec.relpath, rec)
    store.write(Spec.relpath, record(), replace=True)
    archived = list((tmp_path / "archive").rglob("*.json"))
    assert len(archived) == 1 and json.loads(archived[0].read_text())["status"] == "complete"


def test_failed_record_is_replaced_without_flag(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    store.write(Spec.relpath, record("failed"))
    store.write(Spec.relpath, record())
    assert store.read(Spec.relpath)["status"] == "complete"


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    p = tmp_path / "a.json"
    atomic_write_json(p, {"x": 1})
    with pytest.raises(ValueError):
        atomic_write_json(p, {"x": float("nan")})  # NaN is refused before the file is touched
    assert json.loads(p.read_text()) == {"x": 1}
    assert [q.name for q in tmp_path.iterdir()] == ["a.json"]


def test_corrupt_record_is_named(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    bad = store.path("s/v1/smoke/a/x/seed0.json")
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    with pytest.raises(BenchError, match=f"{bad}: unreadable run record"):
        store.all()
    bad.write_text("{}")
    with pytest.raises(BenchError, match="lacks 'schema'"):
        store.all()
