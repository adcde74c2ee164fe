"""Run records: atomic, complete provenance, never silently overwritten or lost, locked per run,
and never trusted blindly (schema, digest, identity against path, duplicates)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from bench.errors import BenchError
from bench.records import (
    BadRecord,
    RecordStore,
    RunHeld,
    RunRecord,
    atomic_write_json,
    collect_provenance,
    make_record,
    scan,
)
from bench.records.metrics import TEST_ACC, TEST_ACC_BEST
from bench.records.validate import digest_of, with_digest
from bench.suite import RunSpec
from bench.suite.hashing import content_hash
from bench.train.types import TrainResult

CONFIG = {
    "model": {"name": "resnet_tiny", "kwargs": {}},
    "recipe": {"optimizer": "sgd"},
    "data": {"source": "synthetic", "fraction": 1.0},
    "schedule": {"kind": "never"},
}


Spec = RunSpec(
    "s", 1, "smoke", "a", 0, "synthetic-f1", CONFIG, content_hash({"suite": "s", "version": 1, "config": CONFIG})
)


def record(status: str = "complete", acc: float = 50.0) -> RunRecord:
    res = TrainResult(
        status,
        metrics={TEST_ACC: acc} if status == "complete" else {},
        history=[{"epoch": 1, "train_loss": 1.0, "test_acc": acc}],
        error=None if status == "complete" else "boom",
    )
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
    back = store.read(Spec.relpath)
    assert back is not None and back.to_dict() == with_digest(json.loads(json.dumps(rec.to_dict())))
    assert back.digest == digest_of(back.to_dict())
    assert store.is_complete(Spec.relpath, Spec.config_hash)
    assert not store.is_complete(Spec.relpath, "other")
    with pytest.raises(BenchError, match="already holds a complete run; pass --rerun"):
        store.write(Spec.relpath, rec)
    store.write(Spec.relpath, record(), replace=True)
    archived = list((tmp_path / "archive").rglob("*.json"))
    assert len(archived) == 1 and json.loads(archived[0].read_text())["status"] == "complete"


def test_rapid_rewrites_archive_every_record(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    for i in range(5):  # five writes within one second (names used to have one-second resolution)
        store.write(Spec.relpath, record(acc=float(i)), replace=True)
    archived = sorted((tmp_path / "archive").rglob("*.json"))
    assert len(archived) == 4
    assert sorted(json.loads(p.read_text())["metrics"]["test_acc"] for p in archived) == [0.0, 1.0, 2.0, 3.0]


WRITER = """
import json, sys, time
from bench.records import RecordStore
from bench.records import RunRecord
root, relpath, rec, start = sys.argv[1], sys.argv[2], RunRecord.from_dict(json.loads(sys.argv[3])), float(sys.argv[4])
while time.time() < start:  # every process writes in the same instant
    time.sleep(0.001)
RecordStore(root).write(relpath, rec, replace=True)
"""


@pytest.mark.slow
def test_concurrent_rewrites_keep_every_record(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    start = time.time() + 8.0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(tmp_path),
                Spec.relpath,
                json.dumps(record(acc=float(i)).to_dict()),
                str(start),
            ],
            env=env,
        )
        for i in range(4)
    ]
    assert [p.wait(120) for p in procs] == [0, 0, 0, 0]
    kept = [json.loads(p.read_text())["metrics"][TEST_ACC] for p in (tmp_path / "archive").rglob("*.json")]
    last = RecordStore(tmp_path).read(Spec.relpath)
    assert last is not None
    assert sorted(kept + [last.metric(TEST_ACC)]) == [0.0, 1.0, 2.0, 3.0]


def test_failed_record_is_replaced_without_flag(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    store.write(Spec.relpath, record("failed"))
    store.write(Spec.relpath, record())
    back = store.read(Spec.relpath)
    assert back is not None and back.complete


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    p = tmp_path / "a.json"
    atomic_write_json(p, {"x": 1})
    with pytest.raises(ValueError):
        atomic_write_json(p, {"x": float("nan")})  # NaN is refused before the file is touched
    assert json.loads(p.read_text()) == {"x": 1}
    assert [q.name for q in tmp_path.iterdir()] == ["a.json"]


HOLD = """
import sys, time
from bench.records import RecordStore
store = RecordStore(sys.argv[1])
with store.lock(sys.argv[2]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_run_lock_names_the_live_holder_and_dead_holders_release(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path), Spec.relpath], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        store = RecordStore(tmp_path)
        held = rf"run s/v1/smoke/a/synthetic-f1/seed0 is held by pid {proc.pid} on host "
        with pytest.raises(RunHeld, match=held), store.lock(Spec.relpath):
            pass
        proc.send_signal(signal.SIGKILL)  # a crashed holder leaves its lock file behind ...
        proc.wait(10)
        assert store.path(Spec.relpath).with_suffix(".lock").exists()
        with store.lock(Spec.relpath):  # ... and the next process takes it over
            store.write(Spec.relpath, record())
    finally:
        proc.kill()
        proc.wait(10)
    assert store.is_complete(Spec.relpath, Spec.config_hash)


@pytest.mark.parametrize(
    "relpath", ["../../escaped/seed0.json", "s/v1/smoke/../x/seed0.json", "/abs/seed0.json", "s/v1/smoke/a/b/seed0"]
)
def test_unsafe_paths_refused(tmp_path: Path, relpath: str) -> None:
    with pytest.raises(BenchError, match="not made of safe names"):
        RecordStore(tmp_path).write(relpath, record())
    assert not any(tmp_path.parent.rglob("escaped"))


def _stored(tmp_path: Path) -> tuple[RecordStore, Path]:
    store = RecordStore(tmp_path)
    return store, store.write(Spec.relpath, record())


def test_edited_record_refused_in_one_line_and_counted_missing(tmp_path: Path) -> None:
    store, p = _stored(tmp_path)
    raw = json.loads(p.read_text())
    raw["metrics"]["test_acc"] = 97.5
    p.write_text(json.dumps(raw))
    seen: list[str] = []
    assert store.all(report=seen.append) == []
    assert len(seen) == 1 and "\n" not in seen[0]
    assert seen[0].startswith(f"{p}: content does not match its digest")
    assert not store.is_complete(Spec.relpath, Spec.config_hash)  # so `run` trains it again


def test_copied_record_refused(tmp_path: Path) -> None:
    store, p = _stored(tmp_path)
    copy = p.with_name("seed1.json")
    copy.write_bytes(p.read_bytes())
    seen: list[str] = []
    assert [r.seed for r in store.all(report=seen.append)] == [0]
    assert seen == [
        f"{copy}: identity (s/v1/smoke/a/synthetic-f1/seed0) does not match its place under runs/ "
        f"(s/v1/smoke/a/synthetic-f1/seed1.json); a copied or moved record is not counted"
    ]
    # the same record under another arm's folder does not count for that arm either
    other = store.path("s/v1/smoke/b/synthetic-f1/seed0.json")
    other.parent.mkdir(parents=True)
    other.write_bytes(p.read_bytes())
    assert len(store.all(report=seen.append)) == 1


def test_duplicates_across_folders_refused(tmp_path: Path) -> None:
    _, p = _stored(tmp_path / "a")
    _, q = _stored(tmp_path / "b")
    records, problems = scan([tmp_path / "a", tmp_path / "b"])
    assert len(records) == 1
    assert problems == [
        f"{q}: duplicate of run s/v1/smoke/a/synthetic-f1/seed0 already read from {p}; not counted twice"
    ]


@pytest.mark.parametrize(
    "text,why",
    [
        ("{not json", "unreadable run record"),
        ("{}", "not a valid run record: (top level): 'schema' is a required property"),
        ('{"x": NaN}', "unreadable run record (non-finite number NaN)"),
        ('{"x": 1e999}', "unreadable run record (number 1e999 overflows to inf)"),
        ("[" * 100_000, "unreadable run record"),
        ("\xff\xfe", "unreadable run record"),
    ],
)
def test_corrupt_record_is_named(tmp_path: Path, text: str, why: str) -> None:
    bad = RecordStore(tmp_path).path(Spec.relpath)
    bad.parent.mkdir(parents=True)
    bad.write_bytes(text.encode("latin-1"))
    seen: list[str] = []
    assert RecordStore(tmp_path).all(report=seen.append) == []
    assert len(seen) == 1 and seen[0].startswith(f"{bad}: {why}")


@pytest.mark.parametrize(
    "edit,where",
    [
        (lambda r: r["metrics"].update(test_acc="50"), "metrics/test_acc: '50' is not of type 'number'"),
        (lambda r: r["metrics"].update(test_acc=None), "metrics/test_acc: None is not of type 'number'"),
        (lambda r: r["metrics"].pop("test_acc"), "metrics: 'test_acc' is a required property"),
        (lambda r: r["metrics"].update(test_acc=101.0), "metrics/test_acc: 101.0 is greater than the maximum of 100"),
        (lambda r: r["metrics"].update(train_loss=-1.0), "metrics/train_loss: -1.0 is less than the minimum of 0"),
        (lambda r: r.update(metrics=[]), "metrics: [] is not of type 'object'"),
        (lambda r: r.update(provenance="x"), "provenance: 'x' is not of type 'object'"),
        (lambda r: r.update(history={}), "history: {} is not of type 'array'"),
        (lambda r: r.update(seed="0"), "seed: '0' is not of type 'integer'"),
        (lambda r: r.update(arm="../x"), "arm: '../x' does not match"),
    ],
)
def test_schema_violations_refused_even_with_a_fresh_digest(tmp_path: Path, edit, where: str) -> None:
    store, p = _stored(tmp_path)
    raw = json.loads(p.read_text())
    edit(raw)
    p.write_text(json.dumps(with_digest(raw)))
    with pytest.raises(BadRecord) as exc:
        store.read(Spec.relpath)
    assert str(exc.value).startswith(f"{p}: not a valid run record: {where}")


def test_optional_fields_of_other_modules_are_allowed(tmp_path: Path) -> None:
    rec = replace(
        record(),
        runtime={"device_type": "cpu", "precision": "fp32", "compile": False, "world_size": 1},
        model_stats={"params_start": 10, "params_end": 12, "gflops_start": 0.1, "gflops_end": 0.2},
    )
    rec.metrics[TEST_ACC_BEST] = 51.0
    rec.history[0]["layers"] = [
        {"layer": 0, "phase": "conv", "locality": 0.5, "pos_target_mass": 0.1, "gate": 1.0, "attn_distance": 2.0}
    ]
    store = RecordStore(tmp_path)
    store.write(Spec.relpath, rec)
    back = store.read(Spec.relpath)
    assert back is not None and back.runtime is not None and back.runtime["world_size"] == 1


def test_config_hash_must_match_config(tmp_path: Path) -> None:
    store, p = _stored(tmp_path)
    raw = json.loads(p.read_text())
    raw["config"]["recipe"]["lr"] = 1.0
    p.write_text(json.dumps(with_digest(raw)))
    with pytest.raises(BadRecord, match="config_hash does not match its config"):
        store.read(Spec.relpath)


def test_schema_names_agree_with_the_suite_rule() -> None:
    from bench.records.validate import validator
    from bench.suite.schema import is_name

    pattern = validator().schema["$defs"]["name"]
    import jsonschema

    for name in ["ok", "a.b-c_d", "../x", "a..b", ".hidden", "", "a/b", "x" * 100, "x" * 101]:
        assert jsonschema.Draft202012Validator(pattern).is_valid(name) == is_name(name), name


def _relabel(store: RecordStore, p: Path, arm: str, **changes: object) -> Path:
    """The attack of issue 26: copy a record under another arm, set its arm, recompute the digest."""
    raw = json.loads(p.read_text())
    raw.update(arm=arm, **changes)
    forged = with_digest(raw)
    dest = store.path(f"s/v1/smoke/{arm}/synthetic-f1/seed0.json")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(forged))
    return dest


def test_a_relabelled_copy_never_displaces_the_genuine_record_silently(tmp_path: Path) -> None:
    store, p = _stored(tmp_path)
    copy = _relabel(store, p, "b")
    seen: list[str] = []
    assert store.all(report=seen.append) == []  # a copy cannot be told from its original: neither counts
    assert sorted(s.split(":")[0] for s in seen) == sorted([str(p), str(copy)])
    assert all("neither is counted" in s and "\n" not in s for s in seen)


def test_a_relabelled_copy_with_a_new_date_counts_for_no_arm(tmp_path: Path) -> None:
    """With `created` changed the copy is a different outcome; the tier view still refuses it,
    because its config hash is the genuine arm's, not the arm it claims."""
    from bench.records import build_tier_view
    from bench.suite import load_suite

    suite_file = tmp_path / "s.toml"
    suite_file.write_text(
        'name = "s"\nversion = 1\ntitle = "t"\nchangelog = ["v1"]\n[recipes.r]\noptimizer = "sgd"\nlr = 0.1\n'
        '[arms.a]\nmodel = "resnet_tiny"\nrecipe = "r"\n[arms.b]\nmodel = "vit_tiny"\nrecipe = "r"\n'
        '[tiers.smoke]\ndata = { source = "synthetic" }\nepochs = 1\nbatch_size = 8\nseeds = [0]\n'
    )
    suite = load_suite(suite_file)
    store = RecordStore(tmp_path / "results")
    from bench.suite import plan_runs

    spec_a = next(s for s in plan_runs(suite, "smoke") if s.arm == "a")
    res = TrainResult("complete", metrics={TEST_ACC: 50.0}, history=[{"epoch": 1, "train_loss": 1.0}])
    p = store.write(spec_a.relpath, make_record(spec_a, res, collect_provenance(torch.device("cpu")), 1.5, {}))
    copy = _relabel(store, p, "b", created="2026-01-01T00:00:00+00:00")
    seen: list[str] = []
    records = store.all(report=seen.append)
    assert len(records) == 2 and seen == []  # two different-looking files: the store cannot tell
    view = build_tier_view(suite, "smoke", records)
    assert [r.arm for r in view.records] == ["a"] and view.stale == 1  # the copy counts for no arm
    assert view.arm_records("b") == [] and copy.exists()


@pytest.mark.parametrize("kind", ["folder", "fifo", "dangling-link"])
def test_special_files_in_place_of_a_record_are_reported_never_opened(tmp_path: Path, kind: str) -> None:
    store = RecordStore(tmp_path)
    p = store.path(Spec.relpath)
    p.parent.mkdir(parents=True)
    if kind == "folder":
        p.mkdir()
    elif kind == "fifo":
        os.mkfifo(p)  # opening it for reading would block forever
    else:
        p.symlink_to(tmp_path / "nowhere.json")
    assert store.status(Spec.relpath, Spec.config_hash) == "pending"
    seen: list[str] = []
    assert store.all(report=seen.append) == []
    assert len(seen) == 1 and seen[0].startswith(f"{p}: ") and "not a run record" in seen[0]
    records, problems = scan([tmp_path])
    assert records == [] and len(problems) == 1
    with pytest.raises(BenchError) as info:
        store.check_destination(Spec.relpath)
    assert "where this run's record goes; move it away" in str(info.value)
