"""conv_to_attention: exact equality with the convolution, borders included; bad arguments; trainability."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from bench.models.reparam_attn import conv_to_attention, local_init_target_mass

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


def test_border_mask_is_what_makes_it_zero_padding() -> None:
    """Without the mask the sharp softmax gives a replicate-padded conv (docs/METHOD.md section 3)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    rep = nn.Conv2d(4, 4, 3, padding=1, bias=False, padding_mode="replicate")
    rep.weight = conv.weight
    m = conv_to_attention(conv)
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


def test_after_switch_it_is_a_trainable_self_attention() -> None:
    """Gate, kernel and content projection get gradient at once; q/k after one update."""
    torch.manual_seed(0)
    m = conv_to_attention(nn.Conv2d(8, 8, 3, padding=1))
    x, target = torch.randn(4, 36, 8), torch.randn(4, 36, 8)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    grads = []
    for _ in range(2):
        opt.zero_grad()
        ((m(x, (6, 6)) - target) ** 2).mean().backward()
        grads.append({n: p.grad.abs().sum().item() for n, p in m.named_parameters()})
        opt.step()
    for name in ("gating_param", "weight", "bias", "proj.weight"):
        assert grads[0][name] > 0, name
    assert grads[0]["qk.weight"] == 0 and grads[0]["v.weight"] == 0  # content output starts at exactly 0
    assert grads[1]["qk.weight"] > 0 and grads[1]["v.weight"] > 0
    # the content attention is a real function of the tokens: change a key, the map changes
    q, k = m.qk(x).chunk(2, dim=-1)
    assert not torch.allclose((q @ k.transpose(1, 2)).softmax(-1)[0], (q @ k.transpose(1, 2)).softmax(-1)[1])


def test_positional_gradient_depends_on_sharpness() -> None:
    """Documented trade-off: a saturated map (alpha=16) passes ~exp(-alpha) gradient, alpha=2 plenty."""
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 8, 3, padding=1)
    x, target = torch.randn(4, 36, 8), torch.randn(4, 36, 8)
    norms = {}
    for alpha in (2.0, 16.0):
        m = conv_to_attention(conv, share=False, locality_strength=alpha)
        ((m(x, (6, 6)) - target) ** 2).mean().backward()
        norms[alpha] = m.pos_proj.weight.grad.norm().item()
    assert norms[16.0] > 0 and norms[2.0] > 1e3 * norms[16.0]


def test_diagnostics_are_border_aware() -> None:
    """A sharp head at the switch attends exactly its offset where its target is inside; border pairs,
    masked to zero output, do not count. Once the mask has faded they count fully."""
    m = conv_to_attention(nn.Conv2d(4, 4, 3, padding=1))
    assert m.diagnostics()["attn_distance"] is None and m.diagnostics()["pos_target_mass"] is None  # no forward
    m(torch.randn(2, 256, 4), (16, 16))
    assert m.diagnostics()["pos_target_mass"] is None  # a training forward skips the bookkeeping
    m.eval()
    m(torch.randn(2, 256, 4), (16, 16))
    d = m.diagnostics()
    gate = d["gate"]
    assert gate == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-6)
    assert d["locality"] == 16.0 and d["pos_target_mass"] == pytest.approx(1.0, abs=1e-5)
    con_d, pos_d = m.last_distance
    norms = [math.hypot(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    torch.testing.assert_close(pos_d, torch.tensor(norms), atol=1e-4, rtol=0)
    assert d["attn_distance"] == pytest.approx((gate * pos_d + (1 - gate) * con_d).mean().item(), rel=1e-5)
    # unmasked (fade 1): a sharp head whose target is outside snaps to the nearest inside pixel
    m.soften(16.0, 1.0)
    m(torch.randn(2, 256, 4), (16, 16))
    n, total = 16, 0.0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            for r in range(n):
                for c in range(n):
                    ty, tx = min(max(r + dy, 0), n - 1), min(max(c + dx, 0), n - 1)
                    total += math.hypot(ty - r, tx - c)
    assert m.last_distance[1].mean().item() == pytest.approx(total / (9 * n * n), abs=1e-4)


@pytest.mark.parametrize("locality", [1.0, 2.0, 4.0])
def test_target_mass_is_what_the_strength_implies(locality: float) -> None:
    m = conv_to_attention(nn.Conv2d(4, 4, 3, padding=1)).eval()
    m.soften(locality, 1.0)
    m(torch.randn(1, 64, 4), (8, 8))
    assert m.diagnostics()["locality"] == locality
    assert m.diagnostics()["pos_target_mass"] == pytest.approx(local_init_target_mass(locality, 3, 8, 8), abs=1e-6)
    assert local_init_target_mass(1.0, 3, 8, 8) < 0.5 < local_init_target_mass(2.0, 3, 8, 8)


def test_softening_is_exact_at_its_start_and_continuous_after() -> None:
    """soften(16, 0) is the switch itself; the output moves by an amount that shrinks with the step."""
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 8, 3, padding=1)
    m = conv_to_attention(conv, share=False)
    x = torch.randn(2, 8, 8, 8)
    tokens, ref = x.flatten(2).transpose(1, 2), conv(x).flatten(2).transpose(1, 2)
    with torch.no_grad():
        m.soften(16.0, 0.0)
        assert rel(m(tokens, (8, 8)), ref) <= 1e-5

        def biggest_jump(steps: int) -> float:
            outs = []
            for k in range(steps + 1):
                p = k / steps
                m.soften(16.0 * (1 / 16) ** p, p)
                outs.append(m(tokens, (8, 8)))
            return max(rel(b, a) for a, b in zip(outs, outs[1:]))

        coarse, fine = biggest_jump(10), biggest_jump(40)
    assert fine < coarse / 2.5, (coarse, fine)  # about 1/4: the change is first order in the step
