"""Batches for the training core: device-resident uint8 arrays, or a streaming DataLoader.

Small-image data (``ImageArrays``) is copied to the device once as uint8 (50k CIFAR images are
150 MB) and indexed there: no workers, no host-to-device copies per step. Large data (a torch
``Dataset``) streams through a DataLoader with workers, pinned memory and prefetch.

Order: each epoch's permutation comes from a generator seeded by ``(seed, epoch)``, so a resume
at step k of epoch e replays exactly the batches k.. of that epoch. Sharding over ranks splits
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

Batch = tuple[torch.Tensor, torch.Tensor, int, slice]  # x local, y local, global batch size, rank slice


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The data-order generator: fully determined by (seed, epoch), so resumes need no state."""
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(n, generator=gen)


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
        return max(1, len(self) // global_batch)

    def train_batches(
        self, seed: int, epoch: int, global_batch: int, start_step: int, dist: DistInfo
    ) -> Iterator[Batch]:
        bl = local_batch(global_batch, dist)
        order = epoch_order(len(self), seed, epoch).to(self.x.device)
        sl = slice(dist.rank * bl, (dist.rank + 1) * bl)
        for i in range(start_step, self.steps_per_epoch(global_batch)):
            gb = order[i * global_batch : (i + 1) * global_batch]
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

    def set_epoch(self, epoch: int, start_step: int = 0) -> None:
        self.epoch, self.start = epoch, start_step

    def steps(self) -> int:
        return max(1, self.n // self.global_batch)

    def __iter__(self) -> Iterator[int]:
        order = epoch_order(self.n, self.seed, self.epoch)
        r = self.dist.rank
        for i in range(self.start, self.steps()):
            yield from order[i * self.global_batch + r * self.bl : i * self.global_batch + (r + 1) * self.bl].tolist()

    def __len__(self) -> int:
        return (self.steps() - self.start) * self.bl


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
        return self.sampler.steps()

    def _to(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = _channels_first(torch.as_tensor(x)).to(self.device, non_blocking=True)
        return x, torch.as_tensor(y).to(self.device, non_blocking=True)

    def train_batches(
        self, seed: int, epoch: int, global_batch: int, start_step: int, dist: DistInfo
    ) -> Iterator[Batch]:
        self.sampler.set_epoch(epoch, start_step)
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
