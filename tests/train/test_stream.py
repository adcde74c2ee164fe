"""Streamed (torch Dataset) data: a DataLoader with a resumable, rank-sharded sampler."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import Dataset

from bench.data.types import DataBundle
from bench.suite.plan import RunSpec
from bench.train import CoreOptions, RunContext, train_run
from bench.train.distributed import DistInfo
from bench.train.feed import ResumableSampler, epoch_order


class Images(Dataset):
    """(uint8 (3, 32, 32), label) items, as an ImageNet-style dataset's transform would yield."""

    def __init__(self, bundle_split) -> None:
        self.x = torch.from_numpy(bundle_split.x).permute(0, 3, 1, 2).contiguous()
        self.y = torch.from_numpy(bundle_split.y)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.x[i], int(self.y[i])


def test_sampler_shards_each_global_batch_and_starts_mid_epoch() -> None:
    ranks = [ResumableSampler(40, 3, 8, DistInfo(r, 2)) for r in (0, 1)]
    for s in ranks:
        s.set_epoch(2)
    a, b = (list(s) for s in ranks)
    order = epoch_order(40, 3, 2).tolist()
    assert len(a) == len(b) == 20 and not set(a) & set(b)
    assert sorted(a[:4] + b[:4]) == sorted(order[:8])  # step 0's global batch
    ranks[0].set_epoch(2, start_step=3)
    assert list(ranks[0]) == a[12:] and len(ranks[0]) == 8


def test_dataset_path_trains(config: Callable[..., dict], tiny_data: DataBundle) -> None:
    data = DataBundle(Images(tiny_data.train), Images(tiny_data.test), 10, dict(tiny_data.meta))
    ctx = RunContext(torch.device("cpu"), CoreOptions(workers=2))
    result = train_run(RunSpec.adhoc(config("resnet_tiny", epochs=1), 0), data, ctx)
    assert result.status == "complete" and result.metrics["steps"] == 4
