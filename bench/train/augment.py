"""Batched augmentation on the training device, from uint8 images to normalized float batches.

Order (timm's): random crop with zero padding -> horizontal flip -> RandAugment (uint8, timm's
``rand-m9-mstd0.5-inc1`` semantics, batched: ``randaugment.BatchRandAugment``) -> normalize ->
random erasing -> mixup/cutmix (soft targets, with label smoothing).

Randomness, and why it is split this way:
- crop offsets, flips and every RandAugment draw (op, applied or not, magnitude, sign,
  interpolation) come from ``self.gen``, a generator on the device seeded by the run seed. They
  are drawn for the whole *global* batch on every rank and each rank keeps its slice, so a DDP
  run augments every image exactly as the single-process run does.
- random erasing (timm ``RandomErasing`` on the batch) and mixup/cutmix (timm ``Mixup``, batch
  mode) use the global python/numpy/torch RNGs, which checkpoints save, so resumes stay exact.
- RandAugment fills uncovered pixels with the dataset mean (timm's ``img_mean`` hparam, as DeiT).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..data.cifar import MEAN_STD
from .randaugment import BatchRandAugment
from .recipe import Augment, RandAugment

CIFAR_MEAN, CIFAR_STD = tuple(MEAN_STD["mean"]), tuple(MEAN_STD["std"])


def crop_params(n: int, pad: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-left offsets in the padded image, uniform on 0..2*pad (as torchvision's RandomCrop)."""
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen, device=gen.device)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen, device=gen.device)
    return dy, dx


def crop(x: torch.Tensor, pad: int, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Crop each image of the zero-padded batch at its own offset, with one gather."""
    n, c, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))
    dev = x.device
    rows = (dy[:, None] + torch.arange(h, device=dev)[None])[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=dev)[None])[:, None, None, :]
    return xp[
        torch.arange(n, device=dev)[:, None, None, None], torch.arange(c, device=dev)[None, :, None, None], rows, cols
    ]


def flip(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.view(-1, 1, 1, 1), x.flip(3), x)


def normalize(x_uint8: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (x_uint8.float().div_(255.0) - mean) / std


class DeviceAugment:
    """Callable ``(x uint8 (B,3,H,W), y, sl) -> (x float, target, y)``; ``sl`` picks this rank's part.

    ``x`` and ``y`` are the local batch; ``n_global`` images were drawn for, and ``sl`` is the
    slice of them this rank holds (``slice(None)`` for a single process).
    """

    def __init__(
        self,
        aug: Augment,
        num_classes: int,
        label_smoothing: float,
        device: torch.device,
        seed: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
    ) -> None:
        self.aug = aug
        self.device = device
        self.gen = torch.Generator(device=device).manual_seed(seed)
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1)
        self.randaugment = self._randaugment(aug.randaugment, mean)
        self.erasing = self._erasing(aug, device)
        self.mixup = self._mixup(aug, num_classes, label_smoothing)

    @staticmethod
    def _randaugment(ra: RandAugment | None, mean: tuple[float, ...]) -> BatchRandAugment | None:
        if ra is None:
            return None
        fill = tuple(min(255, round(255 * m)) for m in mean)
        return BatchRandAugment(ra.num_ops, ra.magnitude, ra.magnitude_std, ra.prob, ra.increasing, fill)

    @staticmethod
    def _erasing(aug: Augment, device: torch.device) -> Any:
        if not aug.random_erasing:
            return None
        from timm.data.random_erasing import RandomErasing

        return RandomErasing(probability=aug.random_erasing, mode=aug.erasing_mode, device=str(device))

    @staticmethod
    def _mixup(aug: Augment, num_classes: int, label_smoothing: float) -> Any:
        if not aug.mixes:
            return None
        from timm.data import Mixup

        return Mixup(
            mixup_alpha=aug.mixup,
            cutmix_alpha=aug.cutmix,
            prob=aug.mix_prob,
            switch_prob=aug.mix_switch_prob,
            mode="batch",
            label_smoothing=label_smoothing,
            num_classes=num_classes,
        )

    @property
    def soft_targets(self) -> bool:
        return self.mixup is not None

    def spatial(self, x: torch.Tensor, n_global: int, sl: slice) -> torch.Tensor:
        """Crop, flip and RandAugment on uint8; draws for ``n_global`` images, applies ``sl``."""
        pad = self.aug.crop_pad
        if pad:
            dy, dx = crop_params(n_global, pad, self.gen)
            x = crop(x, pad, dy[sl], dx[sl])
        if self.aug.flip:
            mask = torch.rand(n_global, generator=self.gen, device=self.gen.device) < 0.5
            x = flip(x, mask[sl])
        if self.randaugment is not None:
            x = self.randaugment(x, self.gen, n_global, sl)
        return x

    def __call__(
        self, x: torch.Tensor, y: torch.Tensor, n_global: int | None = None, sl: slice = slice(None)
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.spatial(x, n_global or x.shape[0], sl)
        xf = normalize(x, self.mean, self.std)
        if self.erasing is not None:
            xf = self.erasing(xf)
        target = y
        if self.mixup is not None:
            xf, target = self.mixup(xf, y)
        return xf, target, y

    def eval(self, x: torch.Tensor) -> torch.Tensor:
        return normalize(x, self.mean, self.std)

    def state_dict(self) -> dict[str, Any]:
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["gen"])
