"""`prs-bench status`: a results folder against the plans, read without taking any lock."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bench.cli import main
from bench.records import RecordStore
from bench.records.lock import RunLock
from tests.fakes import fake_records, toy_suite


@pytest.fixture
def results(tmp_path: Path) -> tuple[RecordStore, list[str]]:
    """resnet: seeds 0, 1 done, seed 2 failed; vit: seed 0 running (lock held, one epoch logged),
    seed 1 interrupted (a checkpoint), seed 2 never started."""
    suite = toy_suite(tmp_path / "suites", "")
    store = RecordStore(tmp_path / "results")
    recs = {(r.arm, r.seed): r for r in fake_records(suite, "quick", {("resnet", 1.0): [70.0, 71.0, 72.0]})}
    store.write(recs["resnet", 0].relpath, recs["resnet", 0])
    store.write(recs["resnet", 1].relpath, recs["resnet", 1])
    failed = replace(recs["resnet", 2], status="failed", error="loss became nan at epoch 2 step 3")
    store.write(failed.relpath, failed)
    vit0 = "toy/v1/quick/vit/synthetic-f1/seed0"
    work = store.run_dir(f"{vit0}.json")
    work.mkdir(parents=True)
    now = time.time()
    events = [{"event": "start", "time": now - 20.0}, {"event": "epoch", "epoch": 1, "time": now - 10.0}]
    (work / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events) + '{"event": "ep')
    ckpt = store.run_dir("toy/v1/quick/vit/synthetic-f1/seed1.json") / "checkpoints"
    ckpt.mkdir(parents=True)
    (ckpt / "ckpt-0000000004.pt").write_bytes(b"x")
    return store, ["--suites-dir", str(tmp_path / "suites")]


def test_status_names_what_is_done_running_failed_and_resumable(results, capsys) -> None:
    store, args = results
    lock = RunLock(store.path("toy/v1/quick/vit/synthetic-f1/seed0.json").with_suffix(".lock"), "run")
    lock.acquire()
    try:
        assert main(["status", str(store.root)] + args) == 0
    finally:
        lock.release()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "toy v1 quick: 2/6 done, 1 running, 1 failed, 1 resumable, 1 pending"
    running = next(ln for ln in out if ln.strip().startswith("running"))
    assert "vit/synthetic-f1/seed0: epoch 1/2, ETA 10 s; pid " in running
    assert any("failed" in ln and "resnet/synthetic-f1/seed2: loss became nan" in ln for ln in out)
    assert any("resumable" in ln and "ckpt-0000000004.pt; continue with --resume" in ln for ln in out)
    # once the lock is released the run is no longer running: no checkpoint, no record -> pending
    assert main(["status", str(store.root)] + args) == 0
    assert capsys.readouterr().out.splitlines()[0] == "toy v1 quick: 2/6 done, 1 failed, 1 resumable, 2 pending"


def test_status_of_an_empty_or_missing_folder_is_one_line(tmp_path: Path, results, capsys) -> None:
    _, args = results
    (tmp_path / "empty").mkdir()
    assert main(["status", str(tmp_path / "empty")] + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no runs of any suite tier started here" in err[0]
    assert main(["status", str(tmp_path / "empty"), "--tier", "quick"] + args) == 0
    assert capsys.readouterr().out.splitlines() == ["toy v1 quick: 0/6 done, 6 pending"]
    assert main(["status", str(tmp_path / "nowhere")] + args) == 2
    assert "no such results folder" in capsys.readouterr().err
