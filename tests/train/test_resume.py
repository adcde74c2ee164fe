"""A run killed with SIGKILL mid-epoch and resumed ends bitwise equal to an uninterrupted run.

Both runs use the same CPU thread count (PRS_BENCH_TEST_THREADS). The killed run sleeps in each
training forward (time to kill it; no effect on the numbers).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from bench.train.final import WEIGHTS, read_final

pytestmark = pytest.mark.slow


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {path.name} appeared: {proc.stderr.read()[-2000:]}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError(f"{path.name} did not appear in {timeout} s")
        time.sleep(0.02)


def final_state(run_dir: Path) -> dict[str, torch.Tensor]:
    return read_final(run_dir / WEIGHTS).state


def test_sigkill_mid_epoch_then_resume_is_bitwise_identical(tmp_path: Path, script) -> None:
    ref_dir, cut_dir = tmp_path / "ref", tmp_path / "cut"
    ref = script("resume", ref_dir)  # runs alongside the one we kill
    cut = script("resume", cut_dir, "--delay", "0.3")
    # 8 steps per epoch, a checkpoint every 3 steps: step 9 is epoch 2, step 1
    wait_for(cut_dir / "checkpoints" / "ckpt-0000000009.pt", cut)
    cut.send_signal(signal.SIGKILL)
    cut.wait(timeout=30)
    assert cut.returncode == -signal.SIGKILL
    assert not (cut_dir / WEIGHTS).exists()
    resumed = script("resume", cut_dir, "--resume")
    for proc in (ref, resumed):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
    events = [json.loads(line) for line in (cut_dir / "events.jsonl").read_text().splitlines()]
    resume = [e for e in events if e["event"] == "resume"]
    assert len(resume) == 1 and resume[0]["step_in_epoch"] > 0, resume  # resumed mid-epoch
    want, got = (json.loads((d / "result.json").read_text()) for d in (ref_dir, cut_dir))
    assert want["status"] == "complete" and got == want  # metrics and history, exactly
    a, b = final_state(ref_dir), final_state(cut_dir)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
