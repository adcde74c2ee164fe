"""Measure what docs/PERFORMANCE.md needs from a GPU, in one command (under 10 minutes on one GPU):

``prs-bench perf`` for every registry model at batch 512 (core vs plain PyTorch, FLOP/s, share of
--peak-tflops), one short run of the training core with compile + bf16 + a reparameterization
switch on synthetic data, and one process through torchrun (the DDP path: NCCL on a GPU). Writes
one JSON and prints the tables. ``--device cpu --quick`` runs a reduced version (tiny batches,
gloo) that proves the script on a machine without a GPU; its numbers are not GPU figures.

Without the console script or nox: ``PYTHONPATH=. python3 -m bench.cli gpu-check``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..errors import BenchError
from ..models import MODELS
from ..records.atomic import atomic_write_json
from ..train.distributed import resolve_device
from .common import ON_OFF


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto, cuda or cpu (cpu: only with --quick, to test the script)")
    p.add_argument("--quick", action="store_true", help="reduced sizes: proves the script, measures nothing")
    p.add_argument("--batch", type=int, default=512, help="perf batch size")
    p.add_argument(
        "--peak-tflops",
        type=float,
        default=None,
        help="the device's dense peak at the core's precision (H100 SXM bf16: 989), for %% of peak",
    )
    p.add_argument("--models", default=None, help="comma-separated models (default: every registered model)")
    p.add_argument(
        "--compile",
        default="auto",
        choices=list(ON_OFF),
        help="compile in the core run (auto: on; off with --quick, where a cold CPU compile takes minutes)",
    )
    p.add_argument("--json", type=Path, default=Path("gpu-check.json"), metavar="PATH", help="where the JSON goes")


def main(args: argparse.Namespace) -> int:
    from ..launch.gpu_check import CheckSettings, render, run_check

    device = resolve_device(args.device)
    if device.type == "cpu" and not args.quick:
        raise BenchError(
            "gpu-check on a CPU measures nothing useful; add --quick to test the script, "
            "or run it on a machine with a GPU (--device cuda)"
        )
    models = tuple(m for m in (args.models or "").split(",") if m)
    for m in models:
        MODELS.get(m)
    compile = ON_OFF[args.compile]
    if compile is None and args.quick:
        compile = False
    s = CheckSettings(
        device=device.type, quick=args.quick, batch=args.batch, peak_tflops=args.peak_tflops, models=models
    )
    with tempfile.TemporaryDirectory() as tmp:
        report = run_check(s, Path(tmp), compile)
    atomic_write_json(args.json, report)
    print(render(report))
    print(f"wrote {args.json}", file=sys.stderr)
    ok = report["core_run"]["status"] == "complete" and report["ddp_run"].get("status") == "complete"
    return 0 if ok else 1
