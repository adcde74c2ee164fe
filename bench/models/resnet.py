"""ResNets for 32 px inputs: timm's ResNet with the CIFAR stem (3x3 stride-1 conv, no max-pool)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from timm.models.resnet import BasicBlock, Bottleneck, ResNet

from ..errors import BenchError
from .registry import register_model

PADDING_MODES = ("zeros", "circular")


def cifar_stem(model: ResNet) -> ResNet:
    """Replace timm's 7x7/2 conv + max-pool stem by a 3x3/1 conv; nothing else changes."""
    width = model.bn1.num_features
    model.conv1 = nn.Conv2d(model.conv1.in_channels, width, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def pad_circular(model: nn.Module) -> nn.Module:
    """Every padded convolution wraps around instead of padding with zeros. With global average
    pooling the logits are then invariant under circular shifts by multiples of the total stride
    (8 for the CIFAR ResNets): the network cannot tell where in the image something is, only what
    (the controls' quadrant task, docs/CONTROLS.md)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and any(p > 0 for p in m.padding):  # type: ignore[operator]
            m.padding_mode = "circular"  # Conv2d keeps its padding amounts; F.pad wraps them
    return model


def _cifar_resnet(
    block: type,
    layers: tuple[int, ...],
    channels: tuple[int, ...],
    num_classes: int,
    padding_mode: str = "zeros",
    **kwargs: Any,
) -> ResNet:
    if padding_mode not in PADDING_MODES:
        raise BenchError(f"padding_mode = {padding_mode!r}: must be one of {', '.join(PADDING_MODES)}")
    model = cifar_stem(ResNet(block, layers, num_classes=num_classes, channels=channels, **kwargs))
    return pad_circular(model) if padding_mode == "circular" else model


@register_model("resnet18_cifar")
def resnet18_cifar(num_classes: int = 100, **kwargs: Any) -> ResNet:
    return _cifar_resnet(BasicBlock, (2, 2, 2, 2), (64, 128, 256, 512), num_classes, **kwargs)


@register_model("resnet50_cifar")
def resnet50_cifar(num_classes: int = 100, **kwargs: Any) -> ResNet:
    return _cifar_resnet(Bottleneck, (3, 4, 6, 3), (64, 128, 256, 512), num_classes, **kwargs)


@register_model("resnet_tiny")
def resnet_tiny(num_classes: int = 10, **kwargs: Any) -> ResNet:
    """Four stages of one BasicBlock, 16-128 channels: a CPU-tier stand-in for ResNet-18.
    ``padding_mode = "circular"``: blind to position (``pad_circular``)."""
    return _cifar_resnet(BasicBlock, (1, 1, 1, 1), (16, 32, 64, 128), num_classes, **kwargs)


@register_model("resnet50_imagenet")
def resnet50_imagenet(num_classes: int = 1000, **kwargs: Any) -> ResNet:
    """timm's ResNet-50 with its standard 7x7/2 stem and max-pool, for 224 px ImageNet tiers."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, **kwargs)


resnet50_imagenet.input_size = 224  # type: ignore[attr-defined]


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet (2016, section 4.2): a 16-channel 3x3 stem and three stages of
    timm BasicBlocks at 16/32/64 channels, 1x1 conv + BN shortcuts where the shape changes (as in
    chenyaofo/pytorch-cifar-models). timm's ResNet always builds a 64-channel stem and four
    stages, so the stages are assembled here from its block."""

    def __init__(self, depth: int, num_classes: int = 100, widths: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n + 2, got {depth}")
        n = (depth - 2) // 6
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)
        )
        stages, inplanes = [], widths[0]
        for i, planes in enumerate(widths):
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                down = None
                if stride != 1 or inplanes != planes:
                    down = nn.Sequential(
                        nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
                    )
                blocks.append(BasicBlock(inplanes, planes, stride=stride, downsample=down))
                inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))


@register_model("resnet56_cifar")
def resnet56_cifar(num_classes: int = 100, **kwargs: Any) -> CifarResNet:
    """ResNet-56 for 32 px inputs, the model of chenyaofo/pytorch-cifar-models' CIFAR-100 numbers."""
    return CifarResNet(56, num_classes=num_classes, **kwargs)
