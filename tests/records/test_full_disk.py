"""A full disk loses nothing: the record and the checkpoint written before stay intact and readable,
no temporary file is left behind, and the CLI says so in one line (exit 2)."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

import pytest

from bench.records import RecordStore
from bench.records.metrics import TEST_ACC
from bench.train.checkpoint import list_checkpoints, save_checkpoint

from .test_store import Spec, record


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _assert_intact(store: RecordStore, before: set[str]) -> None:
    old = store.read(Spec.relpath)
    assert old is not None and old.metric(TEST_ACC) == 50.0  # still the old record, digest verified
    assert _files(store.root) == before  # no temporary or half-written file left


def test_simulated_enospc_keeps_record_and_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RecordStore(tmp_path)
    store.write(Spec.relpath, record(acc=50.0))
    run_dir = store.run_dir(Spec.relpath)
    old_ckpt = save_checkpoint(run_dir, {"epoch": 1}, global_step=10)
    before = _files(tmp_path)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as exc:
        store.write(Spec.relpath, record(acc=60.0), replace=True)
    assert exc.value.errno == errno.ENOSPC
    with pytest.raises(OSError):
        save_checkpoint(run_dir, {"epoch": 2}, global_step=20)
    monkeypatch.undo()
    _assert_intact(store, before)
    assert list_checkpoints(run_dir) == [old_ckpt]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (the simulated test above still runs)")
def test_real_full_tmpfs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from bench.cli import main

    disk = tmp_path / "disk"
    disk.mkdir()
    if os.system(f"mount -t tmpfs -o size=256k tmpfs {disk} 2>/dev/null") != 0:
        pytest.skip("mount -t tmpfs is not allowed here")
    try:
        store = RecordStore(disk)
        store.write(Spec.relpath, record(acc=50.0))
        run_dir = store.run_dir(Spec.relpath)
        old_ckpt = save_checkpoint(run_dir, {"epoch": 1, "w": b"\0" * 4096}, global_step=10)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as fh:  # fill the disk to the last byte
            while True:
                fh.write(b"\0" * 1024)
                fh.flush()
        before = _files(disk)
        with pytest.raises(OSError) as exc:
            store.write(Spec.relpath, record(acc=60.0), replace=True)
        assert exc.value.errno == errno.ENOSPC
        with pytest.raises(OSError):
            save_checkpoint(run_dir, {"epoch": 2, "w": b"\0" * 4096}, global_step=20)
        _assert_intact(store, before)
        assert list_checkpoints(run_dir) == [old_ckpt]
        # through the CLI: one line naming the path and what to do, exit 2
        assert main(["baseline", "add", str(disk), "--baselines", str(disk / "baselines")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "No space left on device; the disk is full" in err, err
    finally:
        os.system(f"umount {disk}")
