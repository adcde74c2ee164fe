"""Subsets: class-balanced, deterministic, pinned by hash; index files round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from bench.data import load_data
from bench.data.subsets import (
    balanced_indices,
    convit_indices,
    index_hash,
    read_index_file,
    subset_name,
    write_index_file,
)
from bench.errors import BenchError

SYN = {"source": "synthetic", "num_classes": 10, "n_train": 200, "n_test": 50}


def test_seeded_draw_is_balanced_and_depends_only_on_labels_fraction_seed():
    labels = np.repeat(np.arange(7), 20)[np.random.default_rng(1).permutation(140)]
    a = balanced_indices(labels, 0.25, seed=0)
    assert np.all(np.bincount(labels[a], minlength=7) == 5)
    assert np.array_equal(a, balanced_indices(labels.copy(), 0.25, seed=0))
    assert not np.array_equal(a, balanced_indices(labels, 0.25, seed=1))
    assert np.all(np.diff(a) > 0)


def test_convit_rule_takes_the_first_files_in_sorted_name_order():
    labels = np.array([1, 0, 1, 0, 1, 0, 1])
    names = ["d", "b", "a", "c", "c", "a", "b"]
    idx = convit_indices(labels, names, 0.5)  # floor(0.5*3)=1 of class 0, floor(0.5*4)=2 of class 1
    assert sorted(names[i] + str(labels[i]) for i in idx) == ["a0", "a1", "b1"]


def test_suite_pin_accepts_the_right_hash_and_rejects_others(pickle_root):
    base = {"source": "cifar100-python", "root": str(pickle_root), "verify_sizes": False, "fraction": 0.5}
    b = load_data(base)
    assert np.all(np.bincount(b.train.y)[:10] == 3) and len(b.test) == 20  # test stays whole
    digest = b.meta["subset_sha256"]
    assert b.meta["subset_rule"] == "seeded" and b.meta["full_train_size"] == 60 and b.meta["train_size"] == 30
    assert load_data({**base, "subset_sha256": {"0.50": digest}}).meta["subset_sha256"] == digest
    with pytest.raises(BenchError, match=r"fraction-0.5 subset has sha256 .* but the suite pins 0000"):
        load_data({**base, "subset_sha256": {"0.5": "0" * 64}})
    with pytest.raises(BenchError, match=r"subset_sha256 has no hash for fraction 0.5 .*prs-bench data check"):
        load_data({**base, "subset_sha256": {"0.1": digest}})
    other_seed = load_data({**base, "subset_seed": 3})
    assert other_seed.meta["subset_sha256"] != digest and other_seed.meta["subset_seed"] == 3


def test_synthetic_subsets_keep_their_old_draw():
    full = load_data(SYN)
    half = load_data({**SYN, "fraction": 0.5})
    idx = balanced_indices(full.train.y, 0.5, seed=0)
    np.testing.assert_array_equal(half.train.x, full.train.x[idx])
    assert half.meta["subset_sha256"] == index_hash(idx)


def test_index_file_round_trip(tmp_path):
    idx = np.array([3, 5, 8], dtype=np.int64)
    name = subset_name("cifar100", 0.1, "seeded", 0, "fine")
    assert name == "cifar100-fine-f0.1-seed0"
    p = write_index_file(tmp_path, name, idx, {"sha256": index_hash(idx)})
    assert p.read_text().startswith("# sha256: ")
    np.testing.assert_array_equal(read_index_file(p), idx)
    assert index_hash(read_index_file(p)) == index_hash(idx)


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, "half"])
def test_fraction_outside_unit_interval(bad):
    with pytest.raises(BenchError, match=r"data fraction .* is outside \(0, 1\]; use e.g. 0.1"):
        load_data({**SYN, "fraction": bad})
