"""Atomic, self-checking checkpoints: a truncated or altered newest file falls back to the previous."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.train.checkpoint import (
    CorruptCheckpoint,
    capture_rng,
    decode,
    encode,
    list_checkpoints,
    load_latest,
    restore_rng,
    save_checkpoint,
)


def test_keeps_the_newest_and_ignores_temp_files(tmp_path: Path) -> None:
    for step in (3, 6, 9):
        save_checkpoint(tmp_path, {"step": step, "w": torch.full((4,), float(step))}, step, keep=2)
    (tmp_path / "checkpoints" / ".ckpt-0000000012.pt.abc.tmp").write_bytes(b"half a file")
    assert [p.name for p in list_checkpoints(tmp_path)] == ["ckpt-0000000009.pt", "ckpt-0000000006.pt"]
    state, path = load_latest(tmp_path)
    assert state["step"] == 9 and state["format"] == 1 and torch.equal(state["w"], torch.full((4,), 9.0))


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "garbage"])
def test_damaged_newest_falls_back_to_previous(tmp_path: Path, damage: str) -> None:
    save_checkpoint(tmp_path, {"step": 1}, 1)
    newest = save_checkpoint(tmp_path, {"step": 2, "w": torch.randn(100)}, 2)
    blob = newest.read_bytes()
    damaged = {
        "truncate": blob[: len(blob) // 2],
        "garbage": b"not a checkpoint",
        "flip_byte": blob[:40] + bytes([blob[40] ^ 1]) + blob[41:],
    }[damage]
    newest.write_bytes(damaged)
    messages: list[str] = []
    state, path = load_latest(tmp_path, log=messages.append)
    assert state["step"] == 1 and path.name == "ckpt-0000000001.pt"
    assert len(messages) == 1 and "unusable" in messages[0] and newest.name in messages[0]
    with pytest.raises(CorruptCheckpoint):
        decode(damaged)


def test_nothing_usable_means_none(tmp_path: Path) -> None:
    assert load_latest(tmp_path) is None
    p = save_checkpoint(tmp_path, {"step": 1}, 1)
    p.write_bytes(p.read_bytes()[:-1])
    assert load_latest(tmp_path, log=lambda m: None) is None


def test_rng_states_round_trip_through_the_file() -> None:
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    state = decode(encode({"rng": capture_rng()}))["rng"]
    first = (random.random(), np.random.rand(), torch.rand(2))
    restore_rng(state)
    assert (random.random(), np.random.rand()) == first[:2] and torch.equal(torch.rand(2), first[2])


def test_a_checkpoint_from_more_gpus_restores_on_fewer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Written with 4 visible GPUs, resumed where 1 is visible: the one that exists gets its state;
    nothing indexes past it (issue 23: torch.cuda.set_rng_state_all raised IndexError)."""
    state = capture_rng()
    state["cuda"] = [torch.full((16,), i, dtype=torch.uint8) for i in range(4)]
    restored: list[tuple[int, int]] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda s, i: restored.append((int(s[0]), i)))
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: [states[i] for i in range(4)][9])
    restore_rng(state)
    assert restored == [(0, 0)]
