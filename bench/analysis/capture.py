"""Feature maps at sub-block granularity, captured with forward hooks (docs/METHOD.md section 5).

Each model class has a capture rule: a function listing the *sites* of that model, in depth
order. Site 0 is the map entering the first block (patch embedding plus position embedding, or
the CNN stem's output), so the first token mixer's change is measured against its own input
and every mixer counts in ``hf_change_mixer_mean``. A site says which module to hook, whether
its input or its output is the feature map, whether that map is a token sequence (and how many
prefix tokens to drop) and what kind of sub-block produced it. Rules are data keyed by the exact model class, so a new model (or a
subclass that may change ``forward``) has no rule until someone writes one and fails loudly
instead of being analysed wrongly.

Transformer blocks are pre-norm (``x = x + attn(norm1(x)); x = x + mlp(norm2(x))``), so the
residual stream after attention is the *input* of ``norm2`` and the stream after the MLP is the
block's output: two hooks, no change to the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

import torch
import torch.nn as nn

KINDS = ("embed", "attention", "conv", "mlp")
Kind = Literal["embed", "attention", "conv", "mlp"]
MIXERS = ("attention", "conv")  # token mixers: what C3/C4 compare


@dataclass(frozen=True)
class Site:
    """One place to read a feature map from; ``prefix`` tokens (class/register) are dropped."""

    name: str  # module path in the model, e.g. "blocks.3.attn"
    module: nn.Module
    when: Literal["input", "output"]
    kind: Kind  # embed (site 0: the stream entering the first block), attention or
    # conv (a token mixer or a whole CNN block), or MLP
    label: str  # short human label: "GPSA", "MHSA", "MLP", "BasicBlock", ...
    tokens: bool = False  # (B, N, C) token sequence rather than a (B, C, H, W) map
    prefix: int = 0

    @property
    def attention(self) -> bool:
        return self.kind == "attention"


@dataclass
class Captured:
    site: Site
    fmap: torch.Tensor  # (B, C, h, w), detached


Rule = Callable[[nn.Module], list[Site]]
CAPTURE_RULES: dict[type, Rule] = {}
M = TypeVar("M", bound=nn.Module)


def capture_rule(*model_types: type) -> Callable[[Callable[[M], list[Site]]], Callable[[M], list[Site]]]:
    """Register ``rule`` for these exact model classes."""

    def deco(rule: Callable[[M], list[Site]]) -> Callable[[M], list[Site]]:
        for t in model_types:
            if t in CAPTURE_RULES:
                raise ValueError(f"capture rule for {t.__qualname__} registered twice")
            CAPTURE_RULES[t] = cast(Rule, rule)
        return rule

    return deco


class NoCaptureRule(LookupError):
    """The model (or one of its blocks) has a structure no capture rule knows."""


def capture_sites(model: nn.Module) -> list[Site]:
    """The model's sites in depth order, from its class's rule."""
    _load_rules()
    rule = CAPTURE_RULES.get(type(model))
    if rule is None:
        t = type(model)
        raise NoCaptureRule(
            f"no Fourier capture rule for model class {t.__module__}.{t.__qualname__}; "
            f"add one with @capture_rule in bench/analysis/rules.py "
            f"(known: {', '.join(sorted(c.__qualname__ for c in CAPTURE_RULES))})"
        )
    sites = rule(model)
    if not sites:
        raise NoCaptureRule(f"capture rule for {type(model).__qualname__} found no sites")
    return sites


def expect_type(module: nn.Module, types: tuple[type, ...], where: str) -> None:
    """Rules call this on each block: an unknown block type could hide a different forward."""
    if type(module) not in types:
        names = ", ".join(t.__qualname__ for t in types)
        raise NoCaptureRule(
            f"{where}: block class {type(module).__module__}.{type(module).__qualname__} "
            f"is not one the capture rule knows ({names})"
        )


def tokens_to_map(x: torch.Tensor, prefix: int, where: str = "") -> torch.Tensor:
    """(B, N, C) row-major tokens -> (B, C, s, s) after dropping ``prefix`` leading tokens."""
    if x.ndim != 3:
        raise ValueError(f"{where}: expected tokens (B, N, C), got shape {tuple(x.shape)}")
    b, n, c = x.shape
    grid = n - prefix
    side = math.isqrt(max(grid, 0))
    if grid <= 0 or side * side != grid:
        raise ValueError(
            f"{where}: {n} tokens minus {prefix} prefix token(s) = {grid} is not a square grid; "
            f"the class-token rule for this model is wrong"
        )
    return x[:, prefix:].reshape(b, side, side, c).permute(0, 3, 1, 2)


def _as_map(site: Site, x: torch.Tensor) -> torch.Tensor:
    x = x.detach()
    if site.tokens:
        return tokens_to_map(x, site.prefix, site.name)
    if x.ndim != 4:
        raise ValueError(f"{site.name}: expected a (B, C, H, W) map, got shape {tuple(x.shape)}")
    return x


class FeatureCapture:
    """Context manager: hooks every site; after each forward ``maps`` holds one map per site."""

    def __init__(self, model: nn.Module) -> None:
        self.sites = capture_sites(model)
        self.maps: list[torch.Tensor | None] = [None] * len(self.sites)
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def _hook(self, i: int) -> Callable:
        site = self.sites[i]

        def store(x: object) -> None:
            if isinstance(x, tuple):
                x = x[0]
            if self.maps[i] is not None:
                raise RuntimeError(
                    f"{site.name}: module ran twice in one forward; the capture rule cannot tell "
                    f"which call is the sub-block output"
                )
            self.maps[i] = _as_map(site, cast(torch.Tensor, x))

        if site.when == "input":
            return lambda mod, args: store(args)
        return lambda mod, args, out: store(out)

    def __enter__(self) -> FeatureCapture:
        for i, site in enumerate(self.sites):
            reg = site.module.register_forward_pre_hook if site.when == "input" else site.module.register_forward_hook
            self._handles.append(reg(self._hook(i)))
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def reset(self) -> None:
        self.maps = [None] * len(self.sites)

    def collect(self) -> list[Captured]:
        missing = [s.name for s, m in zip(self.sites, self.maps) if m is None]
        if missing:
            raise RuntimeError(f"sites never ran in the forward pass: {missing}; the capture rule is out of date")
        return [Captured(s, m) for s, m in zip(self.sites, self.maps)]  # type: ignore[arg-type]


@torch.no_grad()
def capture_features(model: nn.Module, images: torch.Tensor) -> list[Captured]:
    """One eval-mode forward of ``images``; the map at every site, in depth order."""
    was_training = model.training
    model.eval()
    try:
        with FeatureCapture(model) as cap:
            model(images)
            return cap.collect()
    finally:
        model.train(was_training)


def _load_rules() -> None:
    from . import rules  # noqa: F401  (registration side effects; deferred to keep imports light)
