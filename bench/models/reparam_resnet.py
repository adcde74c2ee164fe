"""T-CNN-style ResNets: the late stages' stride-1 3x3 convolutions can be switched to attention.

T-CNN (d'Ascoli et al. 2021, docs/METHOD.md section 3) recasts a trained ResNet's late convolutions as
GPSA. Here every stride-1, groups-1 3x3 convolution in the chosen stages (default the last two,
on 8x8 and 4x4 maps at 32 px) is wrapped in a ``ReparamLayer`` (NCHW layout); stride-2
convolutions stay convolutions (they have no attention form). Until a switch the model is the
plain ResNet, parameter for parameter (state_dict keys of wrapped convolutions gain ``.conv``).
"""

from __future__ import annotations

from typing import Any, TypeGuard

import torch.nn as nn
from timm.models.resnet import ResNet

from .registry import register_model
from .reparam import ReparamLayer
from .resnet import resnet18_cifar, resnet_tiny


def _switchable(conv: object) -> TypeGuard[nn.Conv2d]:
    return (
        isinstance(conv, nn.Conv2d)
        and conv.kernel_size == (3, 3)
        and conv.stride == (1, 1)
        and conv.groups == 1
        and conv.dilation == (1, 1)
        and conv.padding == (1, 1)
    )


def make_reparam_resnet(model: ResNet, stages: tuple[int, ...] = (3, 4), **attn_kwargs: Any) -> ResNet:
    """Wrap the stride-1 3x3 convolutions of ``stages`` (1-based, as timm's ``layer1..4``)."""
    for stage in stages:
        if stage not in (1, 2, 3, 4):
            raise ValueError(f"reparam stage must be in 1..4, got {stage!r}")
        for block in getattr(model, f"layer{stage}"):
            for name in ("conv1", "conv2", "conv3"):
                conv = getattr(block, name, None)
                if _switchable(conv):
                    setattr(block, name, ReparamLayer(conv, layout="nchw", **attn_kwargs))
    return model


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = ("locality_strength", "head_dim", "qkv_bias", "content")
    return ({k: v for k, v in kwargs.items() if k not in keys}, {k: v for k, v in kwargs.items() if k in keys})


@register_model("reparam_resnet18_cifar")
def reparam_resnet18_cifar(num_classes: int = 100, reparam_stages: tuple[int, ...] = (3, 4), **kwargs: Any) -> ResNet:
    """ResNet-18 (CIFAR stem); 6 switchable convolutions in stages 3-4 by default."""
    net_kw, attn_kw = _split(kwargs)
    return make_reparam_resnet(resnet18_cifar(num_classes=num_classes, **net_kw), tuple(reparam_stages), **attn_kw)


@register_model("reparam_resnet_tiny")
def reparam_resnet_tiny(num_classes: int = 10, reparam_stages: tuple[int, ...] = (3, 4), **kwargs: Any) -> ResNet:
    """resnet_tiny (CPU tier); 2 switchable convolutions in stages 3-4 by default."""
    net_kw, attn_kw = _split(kwargs)
    return make_reparam_resnet(resnet_tiny(num_classes=num_classes, **net_kw), tuple(reparam_stages), **attn_kw)
