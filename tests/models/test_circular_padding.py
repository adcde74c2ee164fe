"""resnet_tiny(padding_mode="circular"): with global average pooling it cannot see where things are."""

from __future__ import annotations

import pytest
import torch

from bench.errors import BenchError
from bench.models import create_model


@pytest.mark.parametrize("size", [16, 32])
def test_circular_logits_are_invariant_under_shifts_by_the_total_stride(size) -> None:
    torch.manual_seed(0)
    circ = create_model("resnet_tiny", num_classes=4, padding_mode="circular").eval()
    zero = create_model("resnet_tiny", num_classes=4).eval()
    zero.load_state_dict(circ.state_dict())  # the same weights: only the padding differs
    x = torch.randn(4, 3, size, size)
    with torch.no_grad():
        for shift in [(8, 0), (0, 8), (8, 8), (size - 8, 8)]:  # the total stride is 8
            moved = torch.roll(x, shift, (2, 3))
            assert torch.allclose(circ(moved), circ(x), atol=1e-5)
            assert not torch.allclose(zero(moved), zero(x), atol=1e-3)  # zeros at the border give position away


def test_circular_feature_maps_are_equivariant() -> None:
    torch.manual_seed(0)
    m = create_model("resnet_tiny", num_classes=4, padding_mode="circular").eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        f, g = m.forward_features(x), m.forward_features(torch.roll(x, (8, 0), (2, 3)))
    assert torch.allclose(torch.roll(f, (1, 0), (2, 3)), g, atol=1e-5)  # 8 pixels = one cell of the 2x2 map


def test_bad_padding_mode_is_one_line() -> None:
    with pytest.raises(BenchError) as info:
        create_model("resnet_tiny", num_classes=4, padding_mode="reflect")
    assert "padding_mode = 'reflect': must be one of zeros, circular" in str(info.value)
