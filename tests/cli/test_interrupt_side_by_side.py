"""A stop signal to ``prs-bench run`` while side-by-side workers train stops the workers too: each
checkpoints its run and exits, and the parent exits 130 with one line (through the real CLI)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

LONG_SUITE = """
name = "long"
version = 1
title = "interrupt test: two runs long enough to be stopped while they train"
changelog = ["v1: test"]
[recipes.r]
optimizer = "sgd"
lr = 0.05
augment = { crop_pad = 4, flip = true }
[arms.a]
model = "resnet_tiny"
recipe = "r"
[arms.b]
model = "vit_tiny"   # not arm a's training: equal trainings run once, one after the other
recipe = "r"
[tiers.smoke]
data = { source = "synthetic", num_classes = 10, n_train = 64, n_test = 16 }
epochs = 500
batch_size = 16
seeds = [0]
"""


def events(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads process states from /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_to_the_parent_stops_side_by_side_workers(tmp_path: Path, sig: signal.Signals) -> None:
    suites, out = tmp_path / "suites", tmp_path / "out"
    suites.mkdir()
    (suites / "long.toml").write_text(LONG_SUITE)
    cmd = [sys.executable, "-m", "bench.cli", "run", "long", "--suites-dir", str(suites), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    # its own session: the signal goes to the parent alone, as `kill PID` sends it (not a terminal's Ctrl-C)
    proc = subprocess.Popen(
        [*cmd, "--device", "cpu", "--parallel", "2"],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    logs = [out / "work" / "long" / "v1" / "smoke" / arm / "synthetic-f1" / "seed0" / "events.jsonl" for arm in "ab"]
    deadline = time.monotonic() + 180
    while not all(any(e["event"] == "epoch" for e in events(p)) for p in logs):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the two runs did not both start training in 180 s"
        time.sleep(0.2)
    # the workers hold the runs' locks; each lock file names its holder's pid
    locks = [out / "runs" / "long" / "v1" / "smoke" / arm / "synthetic-f1" / "seed0.lock" for arm in "ab"]
    workers = {json.loads(p.read_text())["pid"] for p in locks}
    assert len(workers) == 2 and proc.pid not in workers
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    mine = [line for line in err.splitlines() if line.startswith("prs-bench:")]
    assert mine == ["prs-bench: interrupted; rerun the same command with --resume to continue"], err
    for p in logs:  # each worker checkpointed its run on the way out and wrote no record
        kinds = [(e["event"], e.get("reason")) for e in events(p)]
        assert ("checkpoint", "interrupt") in kinds, (p, kinds[-3:])
        assert ("end", None) not in kinds
    assert not list((out / "runs").rglob("*.json"))
    assert not [pid for pid in workers if alive(pid)], "worker processes outlived the parent"
