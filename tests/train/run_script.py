"""A training run in its own process, for the kill/resume and DDP tests (not collected by pytest).

usage: run_script.py SCENARIO RUN_DIR [--resume] [--delay S] [--rank R --world W --init FILE]
Writes RUN_DIR/result.json (status, metrics, history without timings) when the run ends.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(int(os.environ.get("PRS_BENCH_TEST_THREADS", "2")))

from bench.data.synthetic import make_synthetic  # noqa: E402
from bench.models import MODELS, create_model  # noqa: E402
from bench.suite.plan import RunSpec  # noqa: E402
from bench.train import CoreOptions, RunContext, train_run  # noqa: E402
from bench.train.distributed import DistInfo  # noqa: E402

AUG_ALL = {"crop_pad": 4, "flip": True, "randaugment": True, "mixup": 0.8, "cutmix": 1.0, "random_erasing": 0.25}
SCENARIOS = {
    # every RNG stream is used: data order, crop/flip/RandAugment generator, erasing (python),
    # mixup (numpy), drop-path (torch); BatchNorm running stats; SGD momentum; warm-up + cosine
    "resume": (
        "slow_resnet_tiny",
        {
            "optimizer": "sgd",
            "lr": 0.05,
            "momentum": 0.9,
            "weight_decay": 5e-4,
            "epochs": 2,
            "batch_size": 32,
            "warmup_epochs": 1,
            "label_smoothing": 0.1,
            "drop_path": 0.1,
            "augment": AUG_ALL,
        },
        256,
    ),
    # no BatchNorm, no dropout: DDP must equal one process with the same global batch
    "ddp": (
        "vit_tiny",
        {
            "optimizer": "sgd",
            "lr": 0.05,
            "momentum": 0.9,
            "weight_decay": 5e-4,
            "epochs": 2,
            "batch_size": 32,
            "grad_clip": 1.0,
            "label_smoothing": 0.1,
            "augment": {"crop_pad": 4, "flip": True},
        },
        128,
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=list(SCENARIOS))
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--rank", type=int, default=0)
    ap.add_argument("--world", type=int, default=1)
    ap.add_argument("--init", default=None)
    a = ap.parse_args()

    @MODELS.register("slow_resnet_tiny")
    def _slow(num_classes: int, **kw):  # sleeps per training forward: time to kill, no effect on numbers
        m = create_model("resnet_tiny", num_classes=num_classes, **kw)
        if a.delay:
            m.register_forward_pre_hook(lambda mod, inp: time.sleep(a.delay) if mod.training else None)
        return m

    dist = DistInfo()
    if a.world > 1:
        torch.distributed.init_process_group("gloo", init_method=f"file://{a.init}", rank=a.rank, world_size=a.world)
        dist = DistInfo(a.rank, a.world, a.rank)
    model, recipe, n_train = SCENARIOS[a.scenario]
    config = {
        "model": {"name": model, "kwargs": {}},
        "schedule": {"kind": "never"},
        "recipe": recipe,
        "data": {"source": "synthetic"},
    }
    data = make_synthetic(num_classes=10, n_train=n_train, n_test=64, seed=0)
    ctx = RunContext(torch.device("cpu"), CoreOptions(checkpoint_steps=3), dist, a.run_dir, resume=a.resume)
    result = train_run(RunSpec.adhoc(config, 3), data, ctx)
    if dist.is_main:
        history = [{k: v for k, v in h.items() if k not in ("time_s", "img_per_s")} for h in result.history]
        out = {"status": result.status, "error": result.error, "metrics": result.metrics, "history": history}
        (a.run_dir / "result.json").write_text(json.dumps(out))
    if a.world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
