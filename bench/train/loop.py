"""A minimal, correct training loop (the walking skeleton's; the fast core replaces it).

Interface kept small on purpose: ``train_run(config, data, device, seed) -> TrainResult``.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data.types import DataBundle, ImageArrays
from ..models import create_model
from .types import TrainResult

MEAN = torch.tensor([0.5071, 0.4865, 0.4409]).view(1, 3, 1, 1)
STD = torch.tensor([0.2673, 0.2564, 0.2762]).view(1, 3, 1, 1)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_tensor(split: ImageArrays) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(split.x).permute(0, 3, 1, 2).contiguous()
    return x, torch.from_numpy(split.y)


def normalize(x_uint8: torch.Tensor) -> torch.Tensor:
    return (x_uint8.float() / 255.0 - MEAN.to(x_uint8.device)) / STD.to(x_uint8.device)


def crop_flip(x: torch.Tensor, pad: int, flip: bool, gen: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    if pad:
        xp = F.pad(x, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        rows = (dy[:, None] + torch.arange(h)[None])[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w)[None])[:, None, None, :]
        x = xp[torch.arange(n)[:, None, None, None], torch.arange(x.shape[1])[None, :, None, None], rows, cols]
    if flip:
        m = torch.rand(n, generator=gen) < 0.5
        x = torch.where(m.view(n, 1, 1, 1), x.flip(3), x)
    return x


def lr_at(recipe: dict[str, Any], step: int, total: int, steps_per_epoch: int) -> float:
    base = recipe["lr"]
    warm = recipe.get("warmup_epochs", 0) * steps_per_epoch
    if step < warm:
        return base * (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return base * 0.5 * (1 + math.cos(math.pi * t))


def build_optimizer(model: torch.nn.Module, recipe: dict[str, Any]) -> torch.optim.Optimizer:
    name = recipe["optimizer"]
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe.get("momentum", 0.9),
                               weight_decay=recipe.get("weight_decay", 0.0), nesterov=recipe.get("nesterov", False))
    return torch.optim.AdamW(model.parameters(), lr=recipe["lr"], weight_decay=recipe.get("weight_decay", 0.05))


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> tuple[float, float]:
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, x.shape[0], batch):
        logits = model(normalize(x[i : i + batch]))
        loss += F.cross_entropy(logits, y[i : i + batch], reduction="sum").item()
        correct += (logits.argmax(1) == y[i : i + batch]).sum().item()
    return loss / x.shape[0], 100.0 * correct / x.shape[0]


def train_run(config: dict[str, Any], data: DataBundle, device: torch.device, seed: int,
              progress: bool = True) -> TrainResult:
    seed_everything(seed)
    recipe, aug = config["recipe"], config["recipe"].get("augment", {})
    model = create_model(config["model"]["name"], num_classes=data.num_classes, **config["model"]["kwargs"]).to(device)
    opt = build_optimizer(model, recipe)
    xtr, ytr = to_tensor(data.train)
    xte, yte = to_tensor(data.test)
    gen = torch.Generator().manual_seed(seed)
    bs, epochs = recipe["batch_size"], recipe["epochs"]
    steps_per_epoch = max(1, xtr.shape[0] // bs)
    total = epochs * steps_per_epoch
    history, step = [], 0
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        tot_loss, tot_correct, seen = 0.0, 0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{epochs}", leave=False, disable=not progress)
        for i in bar:
            idx = perm[i * bs : (i + 1) * bs]
            xb = crop_flip(xtr[idx], aug.get("crop_pad", 0), aug.get("flip", False), gen)
            xb, yb = normalize(xb).to(device), ytr[idx].to(device)
            for g in opt.param_groups:
                g["lr"] = lr_at(recipe, step, total, steps_per_epoch)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=recipe.get("label_smoothing", 0.0))
            if not torch.isfinite(loss):
                return TrainResult("failed", history=history,
                                   error=f"loss became {loss.item()} at epoch {epoch + 1} step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            tot_loss += loss.item() * yb.shape[0]
            tot_correct += (logits.argmax(1) == yb).sum().item()
            seen += yb.shape[0]
        test_loss, test_acc = evaluate(model, xte, yte, 512)
        history.append({"epoch": epoch + 1, "train_loss": tot_loss / seen, "train_acc": 100.0 * tot_correct / seen,
                        "test_loss": test_loss, "test_acc": test_acc, "lr": opt.param_groups[0]["lr"]})
    last = history[-1]
    metrics = {"test_acc": last["test_acc"], "test_loss": last["test_loss"], "train_loss": last["train_loss"],
               "num_classes": data.num_classes}
    return TrainResult("complete", metrics=metrics, history=history)
