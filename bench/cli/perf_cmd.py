"""Measure training throughput: the core against a plain PyTorch loop, side by side.

Reports images/s (median of timed windows, after untimed warm-up and compilation), FLOPs per
image (torch's FLOP counter, forward + backward), achieved FLOP/s, and the core/plain ratio.
Data is random uint8 CIFAR-size images; only speed is measured.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch
from tabulate import tabulate

from ..errors import BenchError
from ..models import MODELS, model_input_size
from ..records.atomic import atomic_write_json
from ..records.provenance import device_name
from ..train.distributed import resolve_device
from ..train.perf import PerfSettings, run_perf
from .common import ON_OFF


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a registered model (see `prs-bench list --models`)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--batch", type=int, default=512, help="images per step")
    p.add_argument("--compile", default="auto", choices=list(ON_OFF), help="torch.compile for the core")
    p.add_argument("--precision", default=None, choices=["fp32", "bf16", "fp16"], help="core precision")
    p.add_argument("--steps", type=int, default=20, help="steps per timed window")
    p.add_argument("--windows", type=int, default=5, help="timed windows (the median is reported)")
    p.add_argument("--warmup", type=int, default=10, help="untimed steps before timing")
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"])
    p.add_argument("--num-classes", type=int, default=100)
    p.add_argument("--plain-workers", type=int, default=4, help="DataLoader workers of the plain loop")
    p.add_argument("--no-plain", action="store_true", help="measure the core only")
    p.add_argument(
        "--augment",
        default="basic",
        choices=["basic", "strong"],
        help="core augmentation: crop+flip, or the ViT recipe's (RandAugment m9, mixup/cutmix), "
        "which is then also timed alone",
    )
    p.add_argument(
        "--peak-tflops",
        type=float,
        default=None,
        help="the device's dense peak for the core's precision, to print the fraction reached",
    )
    p.add_argument("--threads", type=int, default=None, help="CPU intra-op threads (default: torch's)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results as JSON")


def main(args: argparse.Namespace) -> int:
    MODELS.get(args.model)  # unknown model: one-line error listing the choices
    for name in ("batch", "steps", "windows"):
        if getattr(args, name) < 1:
            raise BenchError(f"--{name} must be >= 1")
    if args.threads is not None and args.threads < 1:
        raise BenchError(f"--threads {args.threads}: must be >= 1")
    if args.plain_workers < 0:
        raise BenchError(f"--plain-workers {args.plain_workers}: must be >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    s = PerfSettings(
        model=args.model,
        device=str(device),
        batch=args.batch,
        steps=args.steps,
        windows=args.windows,
        warmup=args.warmup,
        compile=ON_OFF[args.compile],
        precision=args.precision,
        optimizer=args.optimizer,
        num_classes=args.num_classes,
        plain_workers=args.plain_workers,
        augment=args.augment,
        image_size=model_input_size(args.model),
    )
    out = run_perf(s, plain=not args.no_plain)
    out["machine"] = {
        "device_name": device_name(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }
    rows = []
    for r in out["results"]:
        row = {
            "loop": r["loop"],
            "img/s (median)": f"{r['images_per_s']:.1f}",
            "windows min-max": f"{min(r['window_rates']):.1f}-{max(r['window_rates']):.1f}",
            "ms/step": f"{r['ms_per_step']:.1f}",
            "TFLOP/s": f"{r['achieved_flops_per_s'] / 1e12:.3f}",
            "settings": ", ".join(f"{k}={v}" for k, v in r["engine"].items()),
        }
        if args.peak_tflops:
            row["% peak"] = f"{100 * r['achieved_flops_per_s'] / (args.peak_tflops * 1e12):.1f}"
        rows.append(row)
    f = out["flops_per_image"]
    print(
        f"{args.model} on {out['machine']['device_name']}, batch {args.batch}: "
        f"{f['forward'] / 1e9:.3f} GFLOP/image forward, {f['train'] / 1e9:.3f} GFLOP/image train step"
    )
    print(tabulate(rows, headers="keys", tablefmt="github"))
    if "speedup" in out:
        print(f"core / plain: {out['speedup']:.2f}x", flush=True)
    if "augment" in out:
        a = out["augment"]
        print(
            f"augmentation ({args.augment}) alone: {a['ms_per_step']:.1f} ms/step "
            f"(windows {min(a['window_rates']):.0f}-{max(a['window_rates']):.0f} img/s), "
            f"{100 * a['share_of_core_step']:.1f}% of the core's training step",
            flush=True,
        )
    if args.json:
        atomic_write_json(args.json, out)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
