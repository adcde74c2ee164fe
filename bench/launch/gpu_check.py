"""``prs-bench gpu-check``: the measurements a GPU session owes docs/PERFORMANCE.md, in one command.

1. ``prs-bench perf`` for every registry model (core vs plain PyTorch, FLOP/s, share of a stated peak);
2. one short run of the real training core with its GPU defaults (compile, bf16, channels_last,
   fused) through a reparameterization switch on synthetic data;
3. one run through ``torchrun --nproc_per_node 1``: the DDP path with a process group (NCCL on
   a GPU, gloo on a CPU).
It writes one JSON and prints the tables. ``quick`` shrinks every part (tiny batches, one timed
window, the CPU stand-in models for the runs) so the script itself is tested on a CPU.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from ..data.synthetic import make_synthetic
from ..models import list_models, model_input_size
from ..records.metrics import TEST_LOSS, TRAIN_LOSS
from ..records.provenance import device_name
from ..suite.plan import RunSpec
from ..train import CoreOptions, RunContext, train_run
from ..train.perf import PerfSettings, run_perf


@dataclass(frozen=True)
class CheckSettings:
    device: str  # "cuda" or "cpu"
    quick: bool = False
    batch: int = 512
    peak_tflops: float | None = None
    models: tuple[str, ...] = ()  # default: every registered model

    @property
    def perf_steps(self) -> tuple[int, int, int]:
        """(steps per window, windows, warm-up steps)."""
        return (1, 1, 1) if self.quick else (10, 3, 5)


def core_config(quick: bool) -> dict[str, Any]:
    """A reparameterized ViT switching every layer at epoch 1 (so epoch 2 runs the recompiled graph)."""
    model = (
        {"name": "reparam_vit_cpu_tiny", "kwargs": {"embed_dim": 18, "depth": 2}}
        if quick
        else {"name": "reparam_vit_tiny_p4", "kwargs": {}}
    )
    return {
        "model": model,
        "schedule": {"kind": "uniform", "epoch": 1},
        "recipe": {
            "optimizer": "adamw",
            "lr": 5e-4,
            "weight_decay": 0.05,
            "epochs": 2,
            "batch_size": 16 if quick else 256,
            "warmup_epochs": 0,
            "augment": {"crop_pad": 4, "flip": True, "randaugment": True, "mixup": 0.8, "cutmix": 1.0},
        },
        "data": {"source": "synthetic", "num_classes": 10},
    }


def core_data(quick: bool) -> Any:
    return make_synthetic(10, 64 if quick else 8192, 32 if quick else 1024, 0)


def core_run(s: CheckSettings, compile: bool | None) -> dict[str, Any]:
    """The real core with the CUDA defaults (on a CPU too), through a switch; what it recorded."""
    t0 = time.perf_counter()
    opts = CoreOptions(defaults="cuda", compile=compile, checkpoint_every=0)
    result = train_run(
        RunSpec.adhoc(core_config(s.quick), 0), core_data(s.quick), RunContext(torch.device(s.device), opts)
    )
    return {
        "status": result.status,
        "error": result.error,
        "seconds": round(time.perf_counter() - t0, 2),
        "history": [
            {k: h.get(k) for k in ("epoch", TRAIN_LOSS, TEST_LOSS, "img_per_s", "compiled_graphs")}
            for h in result.history
        ],
        "switches": sum(1 for e in result.events if e["event"] == "switch"),
        "engine": next((e["engine"] for e in result.events if e["event"] == "start"), None),
    }


def ddp_child(device: str, quick: bool, out: Path) -> int:
    """Run under torchrun: join the group, train the core config, write what happened (rank 0)."""
    from ..train.distributed import init_from_env, rank_device

    dist = init_from_env(device)
    dev = rank_device(torch.device(device), dist)
    backend = torch.distributed.get_backend() if torch.distributed.is_initialized() else None
    ctx = RunContext(dev, CoreOptions(compile=False, checkpoint_every=0), dist)
    result = train_run(RunSpec.adhoc(core_config(quick), 0), core_data(quick), ctx)
    if dist.is_main:
        out.write_text(
            json.dumps(
                {
                    "backend": backend,
                    "world": dist.world,
                    "ddp": dist.active,
                    "status": result.status,
                    "error": result.error,
                    TRAIN_LOSS: result.history[-1][TRAIN_LOSS] if result.history else None,
                }
            )
        )
    return 0 if result.status == "complete" else 1


def ddp_run(s: CheckSettings, workdir: Path) -> dict[str, Any]:
    out = workdir / "ddp.json"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "1",
        "-m",
        "bench.launch.gpu_check",
        "--ddp-child",
        s.device,
        "1" if s.quick else "0",
        str(out),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
    )
    info: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"status": "failed"}
    info.update(
        {"returncode": proc.returncode, "seconds": round(time.perf_counter() - t0, 2), "command": " ".join(cmd[1:])}
    )
    if proc.returncode:
        info["stderr_tail"] = proc.stderr[-2000:]
    return info


def perf_all(s: CheckSettings) -> list[dict[str, Any]]:
    rows = []
    for name in s.models or tuple(list_models()):
        batch = 4 if s.quick else s.batch
        steps, windows, warmup = s.perf_steps
        ps = PerfSettings(
            model=name,
            device=s.device,
            batch=batch,
            image_size=model_input_size(name),
            optimizer="sgd" if "resnet" in name else "adamw",
            plain_workers=0 if s.quick else 8,
            steps=steps,
            windows=windows,
            warmup=warmup,
        )
        out = run_perf(ps)
        core, plain = out["results"]
        row = {
            "model": name,
            "batch": batch,
            "core_img_s": core["images_per_s"],
            "plain_img_s": plain["images_per_s"],
            "speedup": out["speedup"],
            "train_gflop_per_image": out["flops_per_image"]["train"] / 1e9,
            "core_tflop_s": core["achieved_flops_per_s"] / 1e12,
            "engine": core["engine"],
        }
        if s.peak_tflops:
            row["share_of_peak"] = core["achieved_flops_per_s"] / (s.peak_tflops * 1e12)
        rows.append(row)
        print(
            f"  perf {name}: core {row['core_img_s']:.0f} img/s, plain {row['plain_img_s']:.0f} img/s, "
            f"{row['speedup']:.2f}x",
            file=sys.stderr,
            flush=True,
        )
    return rows


def run_check(s: CheckSettings, workdir: Path, compile: bool | None = None) -> dict[str, Any]:
    dev = torch.device(s.device)
    t0 = time.perf_counter()
    report: dict[str, Any] = {
        "settings": asdict(s),
        "machine": {
            "device_name": device_name(dev),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        },
    }
    print("1/3 prs-bench perf for every registry model", file=sys.stderr, flush=True)
    report["perf"] = perf_all(s)
    print("2/3 the core with the GPU defaults through a switch", file=sys.stderr, flush=True)
    report["core_run"] = core_run(s, compile)
    print("3/3 one process through torchrun (DDP path)", file=sys.stderr, flush=True)
    report["ddp_run"] = ddp_run(s, workdir)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


def render(report: dict[str, Any]) -> str:
    from tabulate import tabulate

    rows = [
        {
            "model": r["model"],
            "batch": r["batch"],
            "GFLOP/img (train)": f"{r['train_gflop_per_image']:.3f}",
            "core img/s": f"{r['core_img_s']:.0f}",
            "plain img/s": f"{r['plain_img_s']:.0f}",
            "core/plain": f"{r['speedup']:.2f}x",
            "core TFLOP/s": f"{r['core_tflop_s']:.2f}",
            **({"% of peak": f"{100 * r['share_of_peak']:.1f}"} if "share_of_peak" in r else {}),
        }
        for r in report["perf"]
    ]
    m, c, d = report["machine"], report["core_run"], report["ddp_run"]
    lines = [
        f"gpu-check on {m['device_name']}, torch {m['torch']} (CUDA {m['cuda']}), {m['date']}, "
        f"{report['seconds']:.0f} s",
        "",
        tabulate(rows, headers="keys", tablefmt="github"),
        "",
        f"core run ({c['engine']}): {c['status']}, {c['switches']} switch event(s), compiled graphs per epoch "
        f"{[h['compiled_graphs'] for h in c['history']]}, train loss {[h['train_loss'] for h in c['history']]}",
        f"torchrun 1 process: {d.get('status')} (backend {d.get('backend')}, DDP {d.get('ddp')}, "
        f"exit {d.get('returncode')})",
    ]
    return "\n".join(lines)


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--ddp-child":
    sys.exit(ddp_child(sys.argv[2], sys.argv[3] == "1", Path(sys.argv[4])))
