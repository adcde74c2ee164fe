"""One run over several processes (torchrun): rank info, process-group setup, reductions.

Only rank 0 writes (records, checkpoints, the event log); every rank trains. Metrics are sums
all-reduced over ranks, so they are the same numbers a single process would count.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as tdist

from ..errors import BenchError


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    group: bool = False  # a process group is up (torchrun), even with one process

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        """DDP and collectives are used: several processes, or one under torchrun (the same code path)."""
        return self.world > 1 or self.group

    @classmethod
    def described(cls) -> DistInfo:
        """What torchrun's environment describes (WORLD_SIZE, RANK; TORCHELASTIC_RUN_ID makes even one
        process a group), without joining a process group: what ``init_from_env`` would join."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        group = world > 1 or "TORCHELASTIC_RUN_ID" in os.environ
        return cls(int(os.environ.get("RANK", 0)), world, int(os.environ.get("LOCAL_RANK", 0)), group)

    @classmethod
    def current(cls) -> DistInfo:
        """The initialized process group's view, or a single process."""
        if tdist.is_available() and tdist.is_initialized():
            return cls(tdist.get_rank(), tdist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)), True)
        return cls()


def init_from_env(device_type: str) -> DistInfo:
    """Join the process group torchrun describes: NCCL on GPUs, gloo on CPUs. Under torchrun this
    happens for one process too, so ``torchrun --nproc_per_node 1`` runs the DDP/NCCL code path."""
    if not DistInfo.described().active:
        return DistInfo()
    if not tdist.is_initialized():
        tdist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    info = DistInfo.current()
    if device_type == "cuda":
        torch.cuda.set_device(info.local_rank)
    return info


def rank_device(device: torch.device, dist: DistInfo) -> torch.device:
    """Under torchrun, ``cuda`` means this rank's GPU."""
    if device.type == "cuda" and dist.active:
        return torch.device("cuda", dist.local_rank)
    return device


def all_reduce_sum(t: torch.Tensor, dist: DistInfo) -> torch.Tensor:
    if dist.active:
        tdist.all_reduce(t, op=tdist.ReduceOp.SUM)
    return t


def gather_objects(obj: Any, dist: DistInfo) -> list[Any]:
    """Every rank's ``obj`` (e.g. RNG states for a checkpoint); ``[obj]`` for one process."""
    if not dist.active:
        return [obj]
    out: list[Any] = [None] * dist.world
    tdist.all_gather_object(out, obj)
    return out


def wrap_ddp(model: torch.nn.Module, device: torch.device, dist: DistInfo, find_unused: bool) -> torch.nn.Module:
    """DistributedDataParallel around ``model`` (rebuilt after a switch adds parameters)."""
    if not dist.active:
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP

    ids = [device.index] if device.type == "cuda" else None
    return DDP(model, device_ids=ids, find_unused_parameters=find_unused)


DEVICE_NAME = re.compile(r"^(auto|cpu|cuda(:[0-9]{1,3})?)$")


def resolve_device(name: str) -> torch.device:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``: the devices the training core supports (not meta, mps, ...)."""
    if not DEVICE_NAME.match(name):
        raise BenchError(f"--device {name!r}: prs-bench trains on cpu, cuda, cuda:N or auto; choose one of those")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BenchError(f"--device {name}: no CUDA device is visible; use --device cpu or auto")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise BenchError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) are visible")
    try:
        return torch.device(name)
    except RuntimeError:
        raise BenchError(f"--device {name!r}: not a torch device; use cpu, cuda, cuda:N or auto") from None
