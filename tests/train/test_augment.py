"""On-device augmentation matches torchvision's reference transforms in distribution."""

from __future__ import annotations

import numpy as np
import torch
from torchvision import transforms as T

from bench.train.augment import DeviceAugment
from bench.train.recipe import resolve_recipe

PAD, H = 4, 32


def coordinate_images(n: int) -> torch.Tensor:
    """Channel 0 = 8*row, channel 1 = 8*col, channel 2 = 255: every pixel says where it came from."""
    r = torch.arange(H).view(H, 1).expand(H, H) * 8
    c = torch.arange(H).view(1, H).expand(H, H) * 8
    img = torch.stack([r, c, torch.full((H, H), 255)]).to(torch.uint8)
    return img.unsqueeze(0).repeat(n, 1, 1, 1)


def recover(out: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop offsets (0..2*PAD) and flips from the centre pixels of coordinate images."""
    a, b = out[:, :, 16, 16].long().numpy(), out[:, :, 16, 17].long().numpy()
    flipped = b[:, 1] < a[:, 1]
    dy = a[:, 0] // 8 - 16 + PAD
    dx = a[:, 1] // 8 - np.where(flipped, 15, 16) + PAD
    return dy, dx, flipped


def device_aug(aug: dict, seed: int = 0) -> DeviceAugment:
    r = resolve_recipe({"optimizer": "sgd", "lr": 0.1, "epochs": 1, "batch_size": 64, "augment": aug})
    return DeviceAugment(r["augment"], 10, r["label_smoothing"], torch.device("cpu"), seed)


def test_crop_flip_match_torchvision_in_distribution() -> None:
    n = 3000
    x = coordinate_images(n)
    ours = device_aug({"crop_pad": PAD, "flip": True}).spatial(x, n, slice(None))
    torch.manual_seed(0)
    ref_tf = T.Compose([T.RandomCrop(H, padding=PAD), T.RandomHorizontalFlip()])
    ref = torch.stack([ref_tf(img) for img in x[:1500]])
    for out in (ours, ref):
        assert out.shape[1:] == (3, H, H) and out.dtype == torch.uint8
        pad_px = out[:, 2] == 0                                   # zero padding, never colour
        assert bool((out[:, :2][pad_px.unsqueeze(1).expand(-1, 2, -1, -1)] == 0).all())
    stats = [recover(o) for o in (ours, ref)]
    for dy, dx, flipped in stats:
        assert abs(flipped.mean() - 0.5) < 4 * 0.5 / np.sqrt(len(flipped))
        for d in (dy, dx):
            assert d.min() == 0 and d.max() == 2 * PAD
            counts = np.bincount(d, minlength=2 * PAD + 1)
            expected = len(d) / (2 * PAD + 1)
            chi2 = ((counts - expected) ** 2 / expected).sum()
            assert chi2 < 30, counts                                 # 8 dof: p ~ 2e-4
    (ody, odx, _), (rdy, rdx, _) = stats
    for a, b in ((ody, rdy), (odx, rdx)):
        pa = np.bincount(a, minlength=9) / len(a)
        pb = np.bincount(b, minlength=9) / len(b)
        assert 0.5 * np.abs(pa - pb).sum() < 0.06                  # total variation distance


def test_rank_slice_augments_like_the_global_batch() -> None:
    x = torch.randint(0, 256, (16, 3, H, H), dtype=torch.uint8)
    full = device_aug({"crop_pad": PAD, "flip": True}, seed=5).spatial(x, 16, slice(None))
    part = device_aug({"crop_pad": PAD, "flip": True}, seed=5).spatial(x[8:], 16, slice(8, 16))
    assert torch.equal(full[8:], part)


def test_strong_recipe_shapes_ranges_targets() -> None:
    torch.manual_seed(0)
    aug = device_aug({"crop_pad": PAD, "flip": True, "randaugment": {"group": 4}, "mixup": 0.8, "cutmix": 1.0,
                      "random_erasing": 0.5})
    x = torch.randint(0, 256, (64, 3, H, H), dtype=torch.uint8)
    y = torch.arange(64) % 10
    xf, target, y_out = aug(x, y)
    assert xf.shape == (64, 3, H, H) and xf.dtype == torch.float32
    assert target.shape == (64, 10) and torch.allclose(target.sum(1), torch.ones(64))
    assert torch.equal(y_out, y) and aug.soft_targets
    assert xf.abs().max() < 10


def test_normalize_range() -> None:
    aug = device_aug({})
    x = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1).expand(2, 3, 2, 2)
    out = aug.eval(x)
    assert out[0].max() < -1.5 and out[1].min() > 1.7
