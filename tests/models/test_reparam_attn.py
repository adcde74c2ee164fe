"""conv_to_attention: exact equality with the convolution, borders included; bad arguments; gradients that
reach every new parameter; the diagnostics."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from bench.models.reparam_attn import clamp_unit_st, conv_to_attention, local_init_target_mass

GRIDS = [(1, 1), (1, 7), (7, 1), (2, 3), (4, 4), (5, 9), (8, 8), (16, 5), (16, 16)]


def tokens(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(2).transpose(1, 2)


def rel(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).norm() / ref.norm())


def rel_err(out: torch.Tensor, ref: torch.Tensor) -> tuple[float, float]:
    """(whole-map relative error, worst element relative to the largest output)."""
    out, ref = out.detach(), ref.detach()
    d = (out - ref).abs()
    return float(d.norm() / ref.norm()), float(d.max() / ref.abs().max())


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("bias", [True, False])
def test_equals_conv_on_every_grid(k: int, bias: bool) -> None:
    torch.manual_seed(k + 10 * bias)
    conv = nn.Conv2d(5, 7, k, padding=k // 2, bias=bias)
    with torch.no_grad():  # a trained-looking kernel, not just the init
        conv.weight.normal_()
        if bias:
            conv.bias.normal_()
    m = conv_to_attention(conv)
    for h, w in GRIDS:
        x = torch.randn(3, 5, h, w)
        ref = tokens(conv(x))
        out = m(tokens(x), (h, w))
        assert out.shape == (3, h * w, 7)
        whole, worst = rel_err(out, ref)
        assert whole <= 1e-5 and worst <= 1e-5, f"k={k} grid {h}x{w}: {whole:.2e} {worst:.2e}"


def test_padding_keys_make_a_sharp_soft_map_zero_padding() -> None:
    """The soft map attends over the grid padded with zero tokens: a sharp soft map is the zero-padded
    conv too (not the replicate-padded one a softmax over the real tokens alone would give)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    rep = nn.Conv2d(4, 4, 3, padding=1, bias=False, padding_mode="replicate")
    rep.weight = conv.weight
    m = conv_to_attention(conv, locality_strength=30.0)
    with torch.no_grad():
        m.soft.fill_(1.0)  # all positional mass on the (sharp) soft map; the gate stays at 1
    x = torch.randn(2, 4, 4, 4)
    out = m(tokens(x), (4, 4))
    assert rel_err(out, tokens(conv(x)))[0] < 1e-5
    assert rel_err(out, tokens(rep(x)))[0] > 0.1


def test_shares_or_copies_the_kernel() -> None:
    conv = nn.Conv2d(3, 6, 3, padding=1)
    shared = conv_to_attention(conv)
    assert shared.weight is conv.weight and shared.bias is conv.bias
    copied = conv_to_attention(conv, share=False)
    assert copied.weight is not conv.weight and torch.equal(copied.weight, conv.weight)


BAD = [
    (dict(kernel_size=3, stride=2, padding=1), "stride=(2, 2)"),
    (dict(kernel_size=2, padding=1), "kernel_size=(2, 2)"),
    (dict(kernel_size=4, padding=2), "kernel_size=(4, 4)"),
    (dict(kernel_size=(3, 5), padding=(1, 2)), "kernel_size=(3, 5)"),
    (dict(kernel_size=3, padding=1, groups=2), "groups=2"),
    (dict(kernel_size=3, padding=0), "padding=(0, 0)"),
    (dict(kernel_size=3, padding=2), "padding=(2, 2)"),
    (dict(kernel_size=3, padding=2, dilation=2), "dilation=(2, 2)"),
    (dict(kernel_size=3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
]


@pytest.mark.parametrize("kwargs,named", BAD, ids=[b[1] for b in BAD])
def test_bad_conv_raises_naming_the_value(kwargs: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(")", r"\)")):
        conv_to_attention(nn.Conv2d(4, 4, **kwargs))


def test_not_a_conv_raises() -> None:
    with pytest.raises(ValueError, match="Linear"):
        conv_to_attention(nn.Linear(3, 3))


def grads_after_steps(m: nn.Module, steps: int) -> list[dict[str, float]]:
    """Gradient norm of every parameter at each of ``steps`` SGD steps on a regression task."""
    x, target = torch.randn(4, 36, 8), torch.randn(4, 36, 8)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((m(x, (6, 6)) - target) ** 2).mean().backward()
        out.append({n: p.grad.norm().item() for n, p in m.named_parameters()})
        opt.step()
    return out


def test_gradients_reach_the_departure_parameters_at_the_switch() -> None:
    """The soft share and the gate enter linearly: O(1) gradient at the switch (floor: 1% of the
    kernel's); the positional vectors and q/k are multiplied by s and 1 - g, both exactly 0 at the
    switch, so they get gradient from the second step on. Floors after one SGD step: positional
    vectors 1e-4 of the kernel's; q/k 1e-6 (measured 3.4e-5: two small factors, 1 - g after one step
    and the softmax's slope at keys initialised with std 0.02; AdamW, which the ViT recipes use,
    normalises the step size per parameter, so a small gradient still moves q/k at the rate lr)."""
    torch.manual_seed(0)
    m = conv_to_attention(nn.Conv2d(8, 8, 3, padding=1))
    first, second = grads_after_steps(m, 2)
    for name in ("soft", "gate"):
        assert first[name] >= 1e-2 * first["weight"], (name, first)
    assert first["pos_proj.weight"] == 0 and first["qk.weight"] == 0
    assert second["pos_proj.weight"] >= 1e-4 * second["weight"], second
    assert second["qk.weight"] >= 1e-6 * second["weight"], second
    # the content attention is a real function of the tokens: change a key, the map changes
    x = torch.randn(2, 36, 8)
    q, k = m.qk(x).chunk(2, dim=-1)
    assert not torch.allclose((q @ k.transpose(1, 2)).softmax(-1)[0], (q @ k.transpose(1, 2)).softmax(-1)[1])


def test_shares_clamp_with_a_straight_through_gradient() -> None:
    """Past a bound the layer uses the bound (exact conv at s <= 0) yet the gradient still flows back."""
    p = torch.tensor([-0.5, 0.0, 0.4, 1.0, 1.7], requires_grad=True)
    v = clamp_unit_st(p)
    assert v.tolist() == pytest.approx([0.0, 0.0, 0.4, 1.0, 1.0])
    v.sum().backward()
    assert p.grad is not None and p.grad.tolist() == [1.0] * 5
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 4, 3, padding=1)
    m = conv_to_attention(conv, share=False)
    with torch.no_grad():
        m.soft.fill_(-0.2)
        m.gate.fill_(1.3)
    x = torch.randn(2, 4, 5, 5)
    out = m(tokens(x), (5, 5))
    assert rel(out, tokens(conv(x))) <= 1e-5
    out.square().mean().backward()
    assert m.soft.grad.norm() > 0 and m.gate.grad.norm() > 0


def test_content_off_is_the_positional_only_control() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(9, 9, 3, padding=1)
    m = conv_to_attention(conv, content=False)
    assert m.qk is None and m.gate is None and m.gate_value().tolist() == [1.0] * 9
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "pos_proj.weight", "soft", "weight"]
    x = torch.randn(2, 9, 6, 6)
    assert rel(m(tokens(x), (6, 6)), tokens(conv(x))) <= 1e-5
    m.eval()(tokens(x), (6, 6))
    assert m.diagnostics()["gate"] == 1.0 and m.diagnostics()["attn_distance"] is not None


def test_forced_softening_is_imposed_from_outside() -> None:
    """The ablation: the buffer sets a floor under the learned share; 0 leaves the layer exact."""
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 4, 3, padding=1)
    m = conv_to_attention(conv, share=False)
    x = torch.randn(2, 4, 8, 8)
    ref = tokens(conv(x))
    with torch.no_grad():
        m.force_soft(0.0)
        assert rel(m(tokens(x), (8, 8)), ref) <= 1e-5
        m.force_soft(0.5)
        assert m.soft_share().tolist() == [0.5] * 9
        assert rel(m(tokens(x), (8, 8)), ref) > 1e-2
        m.soft.fill_(0.5)
        assert m.soft_share().tolist() == [0.75] * 9


def test_diagnostics_are_border_aware() -> None:
    """At the switch every head attends exactly its offset where its target is inside (border pairs read
    zero padding and do not count); started soft, it is ConViT's local init at strength 1."""
    m = conv_to_attention(nn.Conv2d(4, 4, 3, padding=1))
    assert m.diagnostics()["attn_distance"] is None and m.diagnostics()["pos_target_mass"] is None  # no forward
    m(torch.randn(2, 256, 4), (16, 16))
    assert m.diagnostics()["pos_target_mass"] is None  # a training forward skips the bookkeeping
    m.eval()
    m(torch.randn(2, 256, 4), (16, 16))
    d = m.diagnostics()
    assert d["gate"] == 1.0 and d["soft"] == 0.0 and d["locality"] == 1.0 and d["pos_move"] == 0.0
    assert d["pos_target_mass"] == 1.0
    norms = [float(torch.tensor([dy, dx], dtype=torch.float32).norm()) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    torch.testing.assert_close(m.last_distance[1], torch.tensor(norms), atol=1e-6, rtol=0)
    assert d["attn_distance"] == pytest.approx(sum(norms) / 9, rel=1e-6)  # gate 1: the positional distance
    m.start_soft()
    m(torch.randn(2, 64, 4), (8, 8))
    assert m.diagnostics()["pos_target_mass"] == pytest.approx(local_init_target_mass(1.0, 3, 8, 8), abs=1e-6)
    assert local_init_target_mass(1.0, 3, 8, 8) < 0.5 < local_init_target_mass(2.0, 3, 8, 8)
    with torch.no_grad():
        m.pos_proj.weight.mul_(2.0)
    assert m.diagnostics()["locality"] == 2.0 and m.diagnostics()["pos_move"] == pytest.approx(1.0)
