"""The typed run record: one to_dict()/from_dict() pair that keeps the JSON on disk exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.records import RecordStore, RunRecord, load_record
from bench.records.metrics import TEST_ACC, TEST_ACC_BEST
from bench.records.validate import digest_of, with_digest
from tests.fakes import fake_records, toy_suite


def _one(tmp_path: Path) -> RunRecord:
    suite = toy_suite(tmp_path / "suites")
    return fake_records(suite, "quick", {("vit", 1.0): [61.0]})[0]


def test_from_dict_to_dict_is_exact_for_old_and_new_shapes(tmp_path: Path) -> None:
    new = with_digest(json.loads(json.dumps(_one(tmp_path).to_dict())))
    old = {k: v for k, v in new.items() if k not in ("runtime", "model_stats", "error", "events", "data")}
    future = {**new, "runtime": None, "some_later_key": {"x": [1, 2]}}
    for d in (new, with_digest(old), with_digest(future)):
        rec = RunRecord.from_dict(d)
        assert rec.to_dict() == d
        assert digest_of(rec.to_dict()) == d["digest"]


def test_stored_record_reads_back_unchanged_on_disk(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "results")
    rec = _one(tmp_path)
    p = store.write(rec.relpath, rec)
    raw = p.read_bytes()
    back = load_record(p)
    assert back.digest is not None and back.to_dict() == json.loads(raw)
    store.write(back.relpath, back, replace=True)  # writing it back changes nothing but the archive
    assert p.read_bytes() == raw


def test_setting_an_omitted_key_writes_it(tmp_path: Path) -> None:
    rec = RunRecord.from_dict(_one(tmp_path).to_dict())
    assert "analysis" not in rec.to_dict()
    assert rec.with_analysis({"fourier": {"hf_delta": [0.5, -1.0]}}).to_dict()["analysis"]["fourier"]["hf_delta"] == [
        0.5,
        -1.0,
    ]


def test_accessors(tmp_path: Path) -> None:
    rec = _one(tmp_path).with_analysis({"fourier": {"hf_delta": [0.5, -1.0], "mean": 2.0}})
    assert rec.run_id == "toy/v1/quick/vit/synthetic-f1/seed0" and rec.relpath == rec.run_id + ".json"
    assert rec.metric(TEST_ACC) == 61.0 and rec.metric(TEST_ACC_BEST) is None
    assert rec.value(TEST_ACC) == 61.0
    assert rec.value("fourier.hf_delta.1") == -1.0 and rec.value("fourier.hf_delta.-1") == -1.0
    assert rec.value("fourier.mean") == 2.0
    assert rec.value("fourier.hf_delta.2") is None and rec.value("fourier.nope") is None
    assert rec.value("wall_time_s") is None  # a plain name is a metric, never a top-level key
    assert rec.device_label == "cpu (x86_64)"
    rt = {"device_type": "cuda", "precision": "bf16", "compile": True, "world_size": 2}
    assert (
        RunRecord.from_dict({**rec.to_dict(), "runtime": rt}).device_label == "cpu (x86_64) [bf16, compiled, 2 rank(s)]"
    )


def test_from_dict_names_a_missing_key(tmp_path: Path) -> None:
    d = _one(tmp_path).to_dict()
    del d["metrics"]
    with pytest.raises(BenchError, match=r"toy/1/quick/vit/synthetic-f1/0: lacks 'metrics'"):
        RunRecord.from_dict(d)
