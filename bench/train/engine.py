"""The per-device machinery of a training step: precision, memory format, compile, DDP, the step.

Shared by ``train_run`` and ``prs-bench perf`` so the command measures the step runs use.
"Auto" options resolve per device type from ``AUTO`` (data, not branches): on CUDA bf16
autocast, channels_last, fused optimizers, ``torch.compile`` and ``cudnn.benchmark``; on the CPU
plain fp32 eager, which is what makes bitwise resume tests meaningful. ``CoreOptions(defaults=
"cuda")`` takes the CUDA column on any device: that is how the CPU tests run the GPU path.

``runtime_of`` is what a run record carries as ``runtime``: the execution settings that change
the numbers (device type, precision, compile, world size). Runs that differ in it are never
pooled, and a run counts as done only when its config hash *and* its runtime match.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import BenchError
from .distributed import DistInfo, wrap_ddp
from .optim import build_optimizer
from .recipe import Recipe

PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class CoreOptions:
    """How a run executes (not what it computes: none of these enter the config hash).

    ``None`` means "the device's default" (see ``AUTO``).
    """

    compile: bool | None = None
    precision: str | None = None  # fp32 | bf16 | fp16
    channels_last: bool | None = None
    fused: bool | None = None
    checkpoint_every: int = 1  # epochs between checkpoints; 0 = only at interrupts
    checkpoint_steps: int = 0  # also every K optimizer steps inside an epoch; 0 = off
    keep_checkpoints: int = 2
    eval_batch: int | None = None  # images per evaluation forward (a CPU is fastest at small batches)
    workers: int = 8  # DataLoader workers for streamed (Dataset) data
    sync_every: int | None = None  # steps between NaN/stop checks (a host sync)
    log_to: tuple[str, ...] = ()  # experiment trackers (bench.train.tracking): tensorboard, wandb
    defaults: str | None = None  # whose AUTO column fills the None fields; None = the device's own


AUTO: dict[str, dict[str, Any]] = {
    "cuda": {
        "compile": True,
        "precision": "bf16",
        "channels_last": True,
        "fused": True,
        "sync_every": 50,
        "eval_batch": 1024,
    },
    # eval_batch 64: on one CPU thread a 500-image forward in one batch took 1.7-2.2x as long as in
    # batches of 64 (cache-sized activations; docs/PERFORMANCE.md)
    "cpu": {
        "compile": False,
        "precision": "fp32",
        "channels_last": False,
        "fused": False,
        "sync_every": 1,
        "eval_batch": 64,
    },
}


def resolve_options(opts: CoreOptions, device: torch.device) -> CoreOptions:
    if opts.defaults is not None and opts.defaults not in AUTO:
        raise BenchError(f"core defaults {opts.defaults!r} are unknown; choose one of: {', '.join(AUTO)}")
    auto = AUTO[opts.defaults] if opts.defaults else AUTO.get(device.type, AUTO["cpu"])
    filled = {f.name: auto[f.name] for f in fields(opts) if getattr(opts, f.name) is None and f.name in auto}
    out = replace(opts, **filled)
    if out.precision not in PRECISIONS:
        raise BenchError(f"precision {out.precision!r} is unknown; choose one of: {', '.join(PRECISIONS)}")
    return out


def runtime_of(opts: CoreOptions, device: torch.device, world_size: int) -> dict[str, Any]:
    """The record's ``runtime`` block from resolved options: part of the "is this run done" key."""
    return {
        "device_type": device.type,
        "precision": opts.precision,
        "compile": bool(opts.compile),
        "world_size": int(world_size),
    }


def compiled_graphs() -> int:
    """Graphs dynamo has compiled in this process so far (``torch._dynamo.reset`` keeps the count):
    the core records the per-epoch difference, so recompiles show in a run's history."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def fill_momentum(opt: torch.optim.Optimizer) -> None:
    """Give parameters added mid-run (a switch) a zero SGD momentum buffer where others have one.

    Fused SGD fails on a group mixing parameters with and without a buffer (found by the forced-GPU
    CPU tests on the reparam ResNet). A zero buffer gives the same first update as SGD's own rule
    (buf = grad) when dampening is 0; with dampening the buffers are left to SGD.
    """
    if not isinstance(opt, torch.optim.SGD):
        return
    for group in opt.param_groups:
        if not group["momentum"] or group["dampening"]:
            continue
        params = group["params"]
        if any(opt.state.get(p, {}).get("momentum_buffer") is not None for p in params):
            for p in params:
                if opt.state[p].get("momentum_buffer") is None:
                    opt.state[p]["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.sum(-target * F.log_softmax(logits, dim=-1), dim=-1).mean()


def flush_denormals() -> bool:
    """Flush subnormal floats (below 1.2e-38 in fp32) to zero on this CPU thread and the threads it starts.

    Why: x86 arithmetic on subnormals is about 100x slower, and softmax maps make them in bulk (a
    sharp positional attention has thousands of entries near exp(-90); the suite v3/v4 softening
    layer's matmuls ran 8x slower on them, docs/PERFORMANCE.md). Their values sit far below fp32 rounding of
    anything they are added to, so the numbers a run reports do not depend on them. Threads inherit
    the flag only when they start after it: call this first in a process, before
    ``torch.set_num_threads`` or any parallel op (the CLI and the side-by-side workers do). Returns
    False where the CPU has no such mode. GPUs are untouched.
    """
    return bool(torch.set_flush_denormal(True))


@contextmanager
def fast_kernels(device: torch.device) -> Iterator[dict[str, bool]]:
    """On CUDA, cuDNN autotuning and TF32 matmuls for the block's duration only; the previous
    settings come back on exit, so code that runs after (``prs-bench perf``'s plain fp32 loop)
    measures what it says. On every device, subnormals flush to zero on this thread
    (``flush_denormals``; kept on after the block). Yields what is on, for labels."""
    flush_denormals()
    old = torch.backends.cudnn.benchmark, torch.get_float32_matmul_precision()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")
    try:
        yield kernel_settings()
    finally:
        torch.backends.cudnn.benchmark = old[0]
        torch.set_float32_matmul_precision(old[1])


def kernel_settings() -> dict[str, bool]:
    """The process-wide math settings in force now (TF32 matmuls, cuDNN autotuning)."""
    return {
        "tf32": torch.get_float32_matmul_precision() != "highest",
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
    }


class Engine:
    """Model, optimizer and scaler on one device, with the train step and evaluation."""

    def __init__(
        self,
        model: nn.Module,
        recipe: Recipe,
        device: torch.device,
        opts: CoreOptions,
        dist: DistInfo = DistInfo(),
        find_unused: bool = False,
        groups: list[dict[str, Any]] | None = None,
    ) -> None:
        self.recipe, self.device, self.opts, self.dist, self.find_unused = recipe, device, opts, dist, find_unused
        assert opts.precision is not None, "resolve_options() fills the precision"
        self.dtype = PRECISIONS[opts.precision]
        self.memory_format = torch.channels_last if opts.channels_last else torch.contiguous_format
        self.model = model.to(device).to(memory_format=self.memory_format)
        self.opt = build_optimizer(self.model, recipe, fused=bool(opts.fused), groups=groups)
        self.scaler = torch.amp.GradScaler(device.type, enabled=opts.precision == "fp16")
        self.label_smoothing = recipe.label_smoothing
        self.wrap()

    def wrap(self) -> None:
        """(Re)build the DDP and compiled wrappers; call after a switch adds parameters.

        DDP registers parameters when built, and a switch changes the graph, so both are redone;
        dynamo's caches are reset so repeated switches do not exhaust its recompile limit.
        """
        fill_momentum(self.opt)
        if self.opts.compile:
            torch._dynamo.reset()
        ddp = wrap_ddp(self.model, self.device, self.dist, self.find_unused)
        self.train_model = torch.compile(ddp) if self.opts.compile else ddp
        self.eval_model = torch.compile(self.model) if self.opts.compile else self.model

    def autocast(self) -> AbstractContextManager[Any]:
        return torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None)

    def prep(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=self.memory_format) if x.ndim == 4 else x

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.ndim == 2:
            return soft_cross_entropy(logits, target)
        return F.cross_entropy(logits, target, label_smoothing=self.label_smoothing)

    def train_step(self, x: torch.Tensor, target: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step; returns (loss, correct count) as device tensors (no host sync)."""
        with self.autocast():
            logits = self.train_model(self.prep(x))
        loss = self.loss(logits.float(), target)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.recipe.grad_clip:
            self.scaler.unscale_(self.opt)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.recipe.grad_clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        return loss.detach(), (logits.detach().argmax(1) == y).sum()

    @torch.no_grad()
    def eval_logits(self, x: torch.Tensor) -> torch.Tensor:
        with self.autocast():
            return self.eval_model(self.prep(x)).float()
