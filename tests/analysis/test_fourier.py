"""relative_log_amplitude against a direct DFT (numpy loops, no fftshift) and known spectra."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bench.analysis.fourier import EPS, frequencies, relative_log_amplitude

SIZES = [4, 5, 6, 7, 8, 16]


def reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal DFT amplitude computed term by term at frequency (k, k), k = 0 .. H - H//2 - 1."""
    b, c, h, _ = x.shape
    ks = range(h - h // 2)
    logamp = np.zeros(len(ks))
    for k in ks:
        total = 0.0
        for i in range(b):
            for j in range(c):
                acc = 0j
                for m in range(h):
                    for n in range(h):
                        acc += x[i, j, m, n] * np.exp(-2j * np.pi * k * (m + n) / h)
                total += np.log(abs(acc) + EPS)
        logamp[k] = total / (b * c)
    return np.array([2 * k / h for k in ks]), logamp - logamp[0]


@pytest.mark.parametrize("h", SIZES)
def test_random_matches_direct_dft(h: int) -> None:
    x = np.random.default_rng(h).normal(size=(3, 2, h, h))
    freq, delta = relative_log_amplitude(torch.from_numpy(x))
    ref_f, ref_d = reference(x)
    assert freq.shape == delta.shape == (h - h // 2,)
    np.testing.assert_allclose(freq.numpy(), ref_f, atol=1e-12)
    np.testing.assert_allclose(delta.numpy(), ref_d, atol=1e-9)
    assert delta[0] == 0


@pytest.mark.parametrize("h", [7, 8])
def test_float32_input(h: int) -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, h, h)).astype(np.float32)
    _, delta = relative_log_amplitude(torch.from_numpy(x))
    np.testing.assert_allclose(delta.numpy(), reference(x.astype(np.float64))[1], atol=1e-4)


@pytest.mark.parametrize("h,last", [(16, 0.875), (8, 0.75), (4, 0.5), (7, 6 / 7)])
def test_highest_frequency_is_not_pi(h: int, last: float) -> None:
    """docs/METHOD.md section 5: the highest plotted point is (h/2 - 1) 2pi/h for even h."""
    assert math.isclose(float(frequencies(h)[-1]), last)
    assert float(frequencies(h)[0]) == 0.0


@pytest.mark.parametrize("h", [6, 7, 8, 16])
def test_diagonal_cosine_at_highest_frequency(h: int) -> None:
    """A diagonal cosine at the last half-diagonal frequency puts all its energy at delta[-1]."""
    k = h - h // 2 - 1
    m, n = np.mgrid[0:h, 0:h]
    x = np.cos(2 * np.pi * k * (m + n) / h)[None, None]
    _, delta = relative_log_amplitude(torch.from_numpy(x))
    np.testing.assert_allclose(delta.numpy(), reference(x)[1], atol=1e-6)
    assert math.isclose(float(delta[-1]), math.log(h * h / 2 / EPS), abs_tol=1e-3)  # |X| = h^2/2, DC = 0
    np.testing.assert_allclose(delta[1:-1].numpy(), 0.0, atol=1e-3)


@pytest.mark.parametrize("h", [4, 8, 16])
def test_checkerboard_energy_is_off_the_half_diagonal(h: int) -> None:
    """(-1)^(m+n) lives at (pi, pi), the corner the half diagonal never reaches: only DC is on it."""
    m, n = np.mgrid[0:h, 0:h]
    x = (1.0 + (-1.0) ** (m + n))[None, None]
    _, delta = relative_log_amplitude(torch.from_numpy(x))
    np.testing.assert_allclose(delta.numpy(), reference(x)[1], atol=1e-6)
    np.testing.assert_allclose(delta[1:].numpy(), math.log(EPS) - math.log(h * h + EPS), atol=1e-3)


@pytest.mark.parametrize("h", [7, 8, 16])
def test_smooth_ramp_is_low_frequency(h: int) -> None:
    """x = m * n: |X(k, k)| = (h / (2 sin(pi k / h)))^2, so delta falls monotonically, strongly."""
    m, n = np.mgrid[0:h, 0:h].astype(np.float64)
    x = (m * n)[None, None]
    _, delta = relative_log_amplitude(torch.from_numpy(x))
    ks = np.arange(1, h - h // 2)
    exact = 2 * np.log(h / (2 * np.sin(np.pi * ks / h))) - 2 * np.log(h * (h - 1) / 2)
    np.testing.assert_allclose(delta[1:].numpy(), exact, atol=1e-6)
    np.testing.assert_allclose(delta.numpy(), reference(x)[1], atol=1e-9)
    assert (np.diff(delta.numpy()) < 0).all() and delta[-1] < -3


def test_mean_over_images_and_channels_is_of_logs() -> None:
    """The mean is of log amplitudes (not of amplitudes), so delta of a stack = mean of per-map deltas."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 8, 8))
    _, whole = relative_log_amplitude(torch.from_numpy(x))
    parts = [relative_log_amplitude(torch.from_numpy(x[i : i + 1, j : j + 1]))[1] for i in range(2) for j in range(3)]
    np.testing.assert_allclose(whole.numpy(), torch.stack(parts).mean(0).numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 8), (3, 8, 8), (1, 2, 3, 8, 8), (2, 3, 8, 7), (2, 3, 4, 8), (0, 3, 8, 8)])
def test_bad_shapes_name_the_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=str(shape).replace("(", r"\(").replace(")", r"\)")):
        relative_log_amplitude(torch.zeros(shape))


def test_complex_input_rejected() -> None:
    with pytest.raises(ValueError, match="real"):
        relative_log_amplitude(torch.zeros(1, 1, 4, 4, dtype=torch.complex64))
