"""ResNets for 32 px inputs: timm's ResNet with the CIFAR stem (3x3 stride-1 conv, no max-pool)."""

from __future__ import annotations

from typing import Any

import torch.nn as nn
from timm.models.resnet import BasicBlock, Bottleneck, ResNet

from .registry import register_model


def cifar_stem(model: ResNet) -> ResNet:
    """Replace timm's 7x7/2 conv + max-pool stem by a 3x3/1 conv; nothing else changes."""
    width = model.bn1.num_features
    model.conv1 = nn.Conv2d(model.conv1.in_channels, width, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def _cifar_resnet(block: type, layers: tuple[int, ...], channels: tuple[int, ...], num_classes: int,
                  **kwargs: Any) -> ResNet:
    model = ResNet(block, layers, num_classes=num_classes, channels=channels, **kwargs)
    return cifar_stem(model)


@register_model("resnet18_cifar")
def resnet18_cifar(num_classes: int = 100, **kwargs: Any) -> ResNet:
    return _cifar_resnet(BasicBlock, (2, 2, 2, 2), (64, 128, 256, 512), num_classes, **kwargs)


@register_model("resnet50_cifar")
def resnet50_cifar(num_classes: int = 100, **kwargs: Any) -> ResNet:
    return _cifar_resnet(Bottleneck, (3, 4, 6, 3), (64, 128, 256, 512), num_classes, **kwargs)


@register_model("resnet_tiny")
def resnet_tiny(num_classes: int = 10, **kwargs: Any) -> ResNet:
    """Four stages of one BasicBlock, 16-128 channels: a CPU-tier stand-in for ResNet-18."""
    return _cifar_resnet(BasicBlock, (1, 1, 1, 1), (16, 32, 64, 128), num_classes, **kwargs)


@register_model("resnet50_imagenet")
def resnet50_imagenet(num_classes: int = 1000, **kwargs: Any) -> ResNet:
    """timm's ResNet-50 with its standard 7x7/2 stem and max-pool, for 224 px ImageNet tiers."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, **kwargs)


resnet50_imagenet.input_size = 224  # type: ignore[attr-defined]
