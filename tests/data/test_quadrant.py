"""The controls' task (``synthetic-quadrant``) and the ``label_noise`` option: what they promise, and one-line refusals."""

from __future__ import annotations

import numpy as np
import pytest

from bench.data import load_data
from bench.errors import BenchError

Q = {"source": "synthetic-quadrant", "n_train": 400, "n_test": 2000}


def _square_quadrant(x: np.ndarray) -> np.ndarray:
    """The quadrant whose brightest 4x4 window lies in it (what the label says)."""
    g = x[..., 0].astype(np.float64)
    c = np.cumsum(np.cumsum(np.pad(g, ((0, 0), (1, 0), (1, 0))), 1), 2)
    win = c[:, 4:, 4:] - c[:, :-4, 4:] - c[:, 4:, :-4] + c[:, :-4, :-4]  # (n, 13, 13) window sums
    r, col = np.unravel_index(win.reshape(len(g), -1).argmax(1), win.shape[1:])
    return (r + 2 >= 8).astype(int) * 2 + (col + 2 >= 8).astype(int)


def test_the_square_names_the_label_and_the_texture_agrees_at_the_stated_rate() -> None:
    b = load_data({**Q, "texture_reliability": 0.7})
    assert b.train.x.shape == (400, 16, 16, 3) and b.num_classes == 4 and b.meta["image_size"] == 16
    assert np.bincount(b.train.y).tolist() == [100] * 4
    assert (_square_quadrant(b.test.x) == b.test.y).mean() > 0.97
    assert abs(b.meta["texture_agrees_test"] - 0.7) < 0.03  # 2000 test images: se ~0.01
    again = load_data({**Q, "texture_reliability": 0.7})
    assert np.array_equal(again.train.x, b.train.x) and np.array_equal(again.test.y, b.test.y)


def test_without_the_square_the_label_is_invisible_to_position() -> None:
    b = load_data({**Q, "square_contrast": 0.0, "texture_reliability": 1.0})
    assert (_square_quadrant(b.test.x) == b.test.y).mean() < 0.4  # chance 0.25: no positional cue left


def test_label_noise_redraws_training_labels_only_and_keeps_the_images() -> None:
    clean = load_data({**Q, "fraction": 0.5})
    noisy = load_data({**Q, "fraction": 0.5, "label_noise": 0.4})
    assert np.array_equal(clean.train.x, noisy.train.x)  # the same subset: a twin
    assert np.array_equal(clean.test.y, noisy.test.y)
    wrong = (clean.train.y != noisy.train.y).mean()
    assert 0.22 < wrong < 0.38  # 40% redrawn uniformly over 4 classes: 30% wrong expected
    assert noisy.meta["label_noise"] == 0.4 and noisy.meta["labels_changed"] == int(wrong * 200)


def test_stripes_are_a_shift_blind_class_texture() -> None:
    """Each class's stripe period survives every circular shift by 8 (what the shift-blind CNN sees)
    and no two classes' stripes are shifts of each other, so the texture alone names the class."""
    b = load_data({**Q, "texture": "stripes", "texture_reliability": 1.0, "square_contrast": 0.0})
    assert b.meta["texture"] == "stripes" and b.meta["texture_agrees_test"] == 1.0
    g = b.test.x[..., 0].astype(np.float64) - b.test.x[..., 0].mean(axis=(1, 2), keepdims=True)

    # a stripe pattern equals itself one pixel along its stripes and is uncorrelated with itself one
    # pixel across them: the best self-correlation under these shifts names the orientation
    def corr(dy: int, dx: int) -> np.ndarray:
        return (g * np.roll(g, (dy, dx), (1, 2))).mean(axis=(1, 2))

    along = np.stack([corr(0, 1), corr(1, 0), corr(1, -1), corr(1, 1)], 1)
    assert (along.argmax(1) == b.test.y).mean() > 0.97
    tiles = load_data({**Q, "texture_reliability": 1.0, "square_contrast": 0.0})
    assert not np.array_equal(tiles.test.x, b.test.x)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"texture_reliability": 0.1}, "option texture_reliability = 0.1 must be a number in [0.25, 1]"),
        ({"texture_reliability": "high"}, "option texture_reliability = 'high' must be a number"),
        ({"square_contrast": 2}, "option square_contrast = 2 must be a number in [0, 1]"),
        ({"texture_contrast": True}, "option texture_contrast = True must be a number"),
        ({"n_train": 2}, "option n_train = 2 must be an integer in 4..10000000"),
        ({"num_classes": 10}, "has no option 'num_classes'"),
        ({"texture": "dots"}, "option texture = 'dots' must be one of tiles, stripes"),
        ({"label_noise": 1.5}, "option label_noise = 1.5 must be a number in [0, 1]"),
        ({"label_noise": -0.1}, "option label_noise = -0.1 must be a number in [0, 1]"),
    ],
)
def test_bad_options_are_one_line(spec, needle) -> None:
    with pytest.raises(BenchError) as info:
        load_data({**Q, **spec})
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_label_noise_works_on_every_in_memory_source() -> None:
    b = load_data({"source": "synthetic", "num_classes": 10, "n_train": 200, "n_test": 50, "label_noise": 0.5})
    assert b.meta["labels_changed"] > 0
