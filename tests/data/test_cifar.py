"""The three CIFAR-100 layouts decode to the same arrays, and the cache is reused and invalidated."""

from __future__ import annotations

import numpy as np
import pytest

import bench.data.cifar as cifar_mod
from bench.data import ImageArrays, load_data

SMALL = {"verify_sizes": False}


def _assert_matches(bundle, d, label="fine"):
    assert isinstance(bundle.train, ImageArrays) and isinstance(bundle.test, ImageArrays)
    np.testing.assert_array_equal(bundle.train.x, d.train_x)
    np.testing.assert_array_equal(bundle.test.x, d.test_x)
    np.testing.assert_array_equal(bundle.train.y, d.train_fine if label == "fine" else d.train_coarse)
    np.testing.assert_array_equal(bundle.test.y, d.test_fine if label == "fine" else d.test_coarse)
    assert bundle.train.y.dtype == np.int64


def test_pickle_folder_reads_the_torchvision_layout(pickle_root, cifar):
    b = load_data({"source": "cifar100-python", "root": str(pickle_root), **SMALL})
    _assert_matches(b, cifar)
    assert b.num_classes == 100 and b.meta["class_names"][3] == "fine03"
    assert b.meta["train_size"] == 60 and b.meta["test_size"] == 20 and b.meta["fraction"] == 1.0
    coarse = load_data(
        {"source": "cifar100-python", "root": str(pickle_root / "cifar-100-python"), "label": "coarse", **SMALL}
    )
    _assert_matches(coarse, cifar, "coarse")
    assert coarse.num_classes == 20


def test_parquet_matches_pickles(parquet_root, pickle_root, cifar):
    pq = load_data({"source": "cifar100-parquet", "root": str(parquet_root), **SMALL})
    py = load_data({"source": "cifar100-python", "root": str(pickle_root), **SMALL})
    _assert_matches(pq, cifar)
    np.testing.assert_array_equal(pq.train.x, py.train.x)
    assert pq.meta["class_names"] == py.meta["class_names"]


def test_hub_path_via_datasets_reads_the_same(parquet_root, cifar, tmp_path, monkeypatch):
    """``datasets.load_dataset`` on the hub's parquet files stands in for the network download."""
    import datasets

    import bench.data.hub as hub

    def fake_hub_load(repo, **kw):
        files = {s: str(parquet_root / "cifar100" / f"{s}-00000-of-00001.parquet") for s in ("train", "test")}
        return datasets.load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "hf"))

    monkeypatch.setattr(hub, "hub_load", fake_hub_load)
    b = load_data({"source": "cifar100", **SMALL})
    _assert_matches(b, cifar)
    assert b.meta["class_names"][0] == "fine00" and b.meta["repo"] == "uoft-cs/cifar100"
    assert b.meta["cache"] == "built"
    assert load_data({"source": "cifar100", **SMALL}).meta["cache"] == "hit"


def test_cache_is_reused_then_invalidated_when_the_source_changes(pickle_root, cifar, fx, monkeypatch):
    calls = []
    real = cifar_mod.decode_pickles
    monkeypatch.setattr(cifar_mod, "decode_pickles", lambda folder: calls.append(folder) or real(folder))
    spec = {"source": "cifar100-python", "root": str(pickle_root), **SMALL}
    first = load_data(spec)
    second = load_data(spec)
    assert len(calls) == 1 and (first.meta["cache"], second.meta["cache"]) == ("built", "hit")
    _assert_matches(second, cifar)
    cifar.train_x[0, 0, 0, 0] ^= 0xFF  # same sizes, one byte differs
    fx.write_pickles(pickle_root, cifar)
    third = load_data(spec)
    assert len(calls) == 2 and third.meta["cache"] == "built"
    assert third.train.x[0, 0, 0, 0] == cifar.train_x[0, 0, 0, 0]
    assert third.meta["source_fingerprint"] != first.meta["source_fingerprint"]


def test_damaged_cache_is_rebuilt(pickle_root, cifar):
    spec = {"source": "cifar100-python", "root": str(pickle_root), **SMALL}
    folder = load_data(spec).meta["cache_dir"]
    (__import__("pathlib").Path(folder) / "train_x.npy").write_bytes(b"\x93NUMPY garbage")
    b = load_data(spec)
    assert b.meta["cache"] == "built"
    _assert_matches(b, cifar)


def test_real_sizes_are_verified_by_default(pickle_root):
    with pytest.raises(Exception, match=r"found 60 train / 20 test images, expected 50000 / 10000"):
        load_data({"source": "cifar100-python", "root": str(pickle_root)})
