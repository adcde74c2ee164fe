"""Batches for the training core: device-resident uint8 arrays, or a streaming DataLoader.

Small-image data (``ImageArrays``) is copied to the device once as uint8 (50k CIFAR images are
150 MB) and indexed there: no workers, no host-to-device copies per step. Large data (a torch
``Dataset``) streams through a DataLoader with workers, pinned memory and prefetch.

Order: each pass over the images is a permutation from a generator seeded by ``(seed, pass)``,
and global step g takes batch g mod P of pass g div P (P batches per pass). An epoch is one pass
unless the recipe's epoch is the full set's (``bench/train/steps.py``): then a subset's passes
run on across epoch ends. Either way a resume at step k of epoch e replays exactly the batches
it would have seen. Sharding over ranks splits
every *global* batch into contiguous per-rank chunks (the union per step is what a single
process sees, which is what makes DDP equal the single-process run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

from ..data.types import ImageArrays
from ..errors import BenchError
from .distributed import DistInfo
from .steps import batches_in

Batch = tuple[torch.Tensor, torch.Tensor, int, slice]  # x local, y local, global batch size, rank slice


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The data-order generator of one pass (``epoch``: the pass index): fully determined by
    (seed, pass), so resumes need no state."""
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(n, generator=gen)


def step_batches(
    n: int,
    seed: int,
    epoch: int,
    global_batch: int,
    start_step: int,
    epoch_steps: int | None,
    device: torch.device | None = None,
) -> Iterator[torch.Tensor]:
    """The global batches (indices into ``n`` images) of steps ``start_step..`` of ``epoch``, an
    epoch of ``epoch_steps`` steps (None: one pass). Global step g draws batch g mod P of pass
    g div P, P = batches per pass; one permutation is made (and moved to ``device``) per pass."""
    per_pass = batches_in(n, global_batch)
    steps = per_pass if epoch_steps is None else epoch_steps
    current, order = -1, torch.empty(0, dtype=torch.long)
    for i in range(start_step, steps):
        p, b = divmod(epoch * steps + i, per_pass)
        if p != current:
            current, order = p, epoch_order(n, seed, p).to(device)
        yield order[b * global_batch : (b + 1) * global_batch]


def local_batch(global_batch: int, dist: DistInfo) -> int:
    if global_batch % dist.world:
        raise BenchError(
            f"batch_size {global_batch} does not divide over {dist.world} ranks; use a multiple of {dist.world}"
        )
    return global_batch // dist.world


@dataclass
class DeviceData:
    """uint8 images (N, 3, H, W) and labels living on the training device."""

    x: torch.Tensor
    y: torch.Tensor

    @classmethod
    def from_arrays(cls, split: ImageArrays, device: torch.device) -> DeviceData:
        x = torch.from_numpy(split.x).to(device).permute(0, 3, 1, 2).contiguous()
        return cls(x, torch.from_numpy(split.y).to(device))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def steps_per_epoch(self, global_batch: int) -> int:
        """Batches in one pass over the images."""
        return batches_in(len(self), global_batch)

    def train_batches(
        self,
        seed: int,
        epoch: int,
        global_batch: int,
        start_step: int,
        dist: DistInfo,
        epoch_steps: int | None = None,
    ) -> Iterator[Batch]:
        bl = local_batch(global_batch, dist)
        sl = slice(dist.rank * bl, (dist.rank + 1) * bl)
        for gb in step_batches(len(self), seed, epoch, global_batch, start_step, epoch_steps, self.x.device):
            idx = gb[sl]
            yield self.x[idx], self.y[idx], gb.shape[0], sl

    def eval_batches(self, batch: int, dist: DistInfo) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        part = torch.tensor_split(torch.arange(len(self), device=self.x.device), dist.world)[dist.rank]
        for i in range(0, part.shape[0], batch):
            idx = part[i : i + batch]
            yield self.x[idx], self.y[idx]


class ResumableSampler(Sampler[int]):
    """A DistributedSampler that also starts mid-epoch: the rank's indices of batches ``start..``."""

    def __init__(self, n: int, seed: int, global_batch: int, dist: DistInfo) -> None:
        self.n, self.seed, self.global_batch, self.dist = n, seed, global_batch, dist
        self.bl = local_batch(global_batch, dist)
        self.epoch, self.start = 0, 0
        self.epoch_steps: int | None = None

    def set_epoch(self, epoch: int, start_step: int = 0, epoch_steps: int | None = None) -> None:
        self.epoch, self.start, self.epoch_steps = epoch, start_step, epoch_steps

    def steps(self) -> int:
        """Batches in one pass over the images."""
        return batches_in(self.n, self.global_batch)

    def __iter__(self) -> Iterator[int]:
        r = self.dist.rank
        for gb in step_batches(self.n, self.seed, self.epoch, self.global_batch, self.start, self.epoch_steps):
            yield from gb[r * self.bl : (r + 1) * self.bl].tolist()

    def __len__(self) -> int:
        steps = self.steps() if self.epoch_steps is None else self.epoch_steps
        return (steps - self.start) * self.bl


def _channels_first(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2) if x.ndim == 4 and x.shape[-1] == 3 and x.shape[1] != 3 else x


class StreamData:
    """A torch Dataset of (image uint8 (3,H,W) or (H,W,3), label) streamed by a DataLoader."""

    def __init__(
        self,
        dataset: Dataset,
        device: torch.device,
        seed: int,
        global_batch: int,
        dist: DistInfo,
        workers: int,
        prefetch: int = 4,
    ) -> None:
        self.dataset, self.device, self.seed, self.dist = dataset, device, seed, dist
        self.sampler = ResumableSampler(len(dataset), seed, global_batch, dist)  # type: ignore[arg-type]
        self.loader_kw: dict[str, Any] = {
            "num_workers": workers,
            "pin_memory": device.type == "cuda",
            **({"prefetch_factor": prefetch, "persistent_workers": True} if workers else {}),
        }
        self.loader = DataLoader(
            dataset, batch_size=self.sampler.bl, sampler=self.sampler, drop_last=True, **self.loader_kw
        )

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def steps_per_epoch(self, global_batch: int) -> int:
        """Batches in one pass over the images."""
        return self.sampler.steps()

    def _to(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = _channels_first(torch.as_tensor(x)).to(self.device, non_blocking=True)
        return x, torch.as_tensor(y).to(self.device, non_blocking=True)

    def train_batches(
        self,
        seed: int,
        epoch: int,
        global_batch: int,
        start_step: int,
        dist: DistInfo,
        epoch_steps: int | None = None,
    ) -> Iterator[Batch]:
        self.sampler.set_epoch(epoch, start_step, epoch_steps)
        for x, y in self.loader:
            x, y = self._to(x, y)
            yield x, y, x.shape[0], slice(None)

    def eval_batches(self, batch: int, dist: DistInfo) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        part = torch.tensor_split(torch.arange(len(self)), dist.world)[dist.rank].tolist()
        loader = DataLoader(
            Subset(self.dataset, part),
            batch_size=batch,
            shuffle=False,
            num_workers=self.loader_kw["num_workers"],
            pin_memory=self.loader_kw["pin_memory"],
        )
        for x, y in loader:
            yield self._to(x, y)


def make_feed(
    split: Any, device: torch.device, seed: int, global_batch: int, dist: DistInfo, workers: int
) -> DeviceData | StreamData:
    if isinstance(split, ImageArrays):
        return DeviceData.from_arrays(split, device)
    if isinstance(split, Dataset) or hasattr(split, "__getitem__"):
        return StreamData(split, device, seed, global_batch, dist, min(workers, os.cpu_count() or 1))
    raise BenchError(f"data split of type {type(split).__name__} is neither ImageArrays nor a torch Dataset")
