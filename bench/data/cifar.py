"""CIFAR-100 in its three real layouts: torchvision pickles, hub parquet files, the hub itself.

Every layout is decoded to the same uint8 (N, 32, 32, 3) arrays plus fine and coarse labels, cached
(``cache.py``), checked (``validate.py``) and returned as ImageArrays with provenance in ``meta``.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BenchError
from .cache import Decoded, cached_decode, fingerprint_files, split_arrays
from .types import DataBundle
from .validate import check_decoded

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
HUB_REPO = "uoft-cs/cifar100"
SIZES = (50_000, 10_000)
NUM_CLASSES = {"fine": 100, "coarse": 20}
IMAGE_SHAPE = (32, 32, 3)
# per-channel statistics of the CIFAR-100 training set (the core normalises with the source's own)
MEAN_STD = {"mean": [0.5071, 0.4865, 0.4409], "std": [0.2673, 0.2564, 0.2762]}
PICKLE_FILES = ("train", "test", "meta")
PICKLE_HOW = f"get it with: mkdir -p ROOT && curl -L {URL} | tar xz -C ROOT (or set download = true in the data table)"
PARQUET_HOW = (
    f"get it with: huggingface-cli download {HUB_REPO} --repo-type dataset --local-dir ROOT "
    f'(or use source = "cifar100" to read the hub directly)'
)


def data_root() -> Path:
    """Default parent folder for local datasets: ``$PRS_BENCH_DATA`` or ./data."""
    return Path(os.environ.get("PRS_BENCH_DATA", "data")).expanduser()


# ---- decoders -------------------------------------------------------------------------------


def _unpickle(path: Path) -> dict[bytes, Any]:
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh, encoding="bytes")
    except Exception as exc:
        raise BenchError(
            f"{path}: truncated or corrupt CIFAR-100 pickle ({type(exc).__name__}); "
            f"{PICKLE_HOW.replace('ROOT', str(path.parent.parent))}"
        ) from None
    if not isinstance(obj, dict):
        raise BenchError(f"{path}: expected a pickled dict with CIFAR-100 keys; {PICKLE_HOW}")
    return obj


def _need(obj: dict[Any, Any], key: bytes, path: Path) -> Any:
    """``obj[key]``; like torchvision, also accept the str key a Python 3 pickle writes."""
    for k in (key, key.decode()):
        if k in obj:
            return obj[k]
    found = ", ".join(sorted(k.decode(errors="replace") if isinstance(k, bytes) else str(k) for k in obj))
    raise BenchError(
        f"{path}: missing key {key.decode()!r} (found: {found}); not the CIFAR-100 python version, which is at {URL}"
    )


def _int_labels(values: Any, where: str) -> np.ndarray:
    """Labels as int64, or a one-line BenchError when they are strings, None or nested."""
    try:
        y = np.asarray(values)
        ok = y.ndim == 1 and (y.size == 0 or np.issubdtype(y.dtype, np.integer))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        kind = type(values[0]).__name__ if isinstance(values, (list, tuple)) and values else type(values).__name__
        raise BenchError(
            f"{where}: labels must be a flat list of integers, found {kind}; the file is corrupt or "
            f"not CIFAR-100: {PICKLE_HOW}"
        )
    return y.astype(np.int64)


def decode_pickles(folder: Path) -> Decoded:
    """Read ``train``, ``test`` and ``meta`` exactly as torchvision's CIFAR100 does (keys are bytes)."""
    splits = {}
    for name in ("train", "test"):
        obj = _unpickle(folder / name)
        data = np.asarray(_need(obj, b"data", folder / name))
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise BenchError(
                f"{folder / name}: b'data' is {data.dtype} {data.shape}, expected uint8 (N, 3072); "
                f"the file is corrupt: {PICKLE_HOW}"
            )
        x = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = {
            k: _int_labels(_need(obj, f"{k}_labels".encode(), folder / name), f"{folder / name}: {k}_labels")
            for k in NUM_CLASSES
        }
        splits[name] = (np.ascontiguousarray(x), labels)
    meta = _unpickle(folder / "meta")
    names = {
        k: [
            n.decode() if isinstance(n, bytes) else str(n)
            for n in _need(meta, f"{k}_label_names".encode(), folder / "meta")
        ]
        for k in NUM_CLASSES
    }
    return Decoded(splits["train"][0], splits["test"][0], splits["train"][1], splits["test"][1], names)


def decode_table(table: Any, where: str, image_col: str = "img") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Decode a hub-layout Arrow table (image struct {bytes, path}, fine_label, coarse_label)."""
    import pyarrow as pa
    from PIL import Image, UnidentifiedImageError

    want = [image_col] + [f"{k}_label" for k in NUM_CLASSES]
    missing = [c for c in want if c not in table.column_names]
    if missing:
        raise BenchError(
            f"{where}: missing column(s) {', '.join(missing)} (found: {', '.join(table.column_names)}); "
            f"expected the {HUB_REPO} layout: {', '.join(want)}"
        )
    images = table.column(image_col)
    if pa.types.is_struct(images.type) and images.type.get_field_index("bytes") >= 0:
        blobs = [b for chunk in images.chunks for b in chunk.field("bytes").to_pylist()]
    elif pa.types.is_binary(images.type) or pa.types.is_large_binary(images.type):
        blobs = images.to_pylist()  # plain encoded image bytes
    else:
        raise BenchError(
            f"{where}: column {image_col!r} is {images.type}, expected images (a struct with 'bytes', "
            f"or binary); {PARQUET_HOW}"
        )
    x = np.empty((table.num_rows, *IMAGE_SHAPE), dtype=np.uint8)
    for i, b in enumerate(blobs):
        try:
            with Image.open(io.BytesIO(b)) as im:
                arr = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, TypeError, ValueError):
            raise BenchError(
                f"{where}: image {i} is not a decodable image; the file is corrupt: {PARQUET_HOW}"
            ) from None
        if arr.shape != IMAGE_SHAPE:
            raise BenchError(
                f"{where}: image {i} is {arr.shape[1]}x{arr.shape[0]}, expected 32x32; not CIFAR-100: {PARQUET_HOW}"
            )
        x[i] = arr
    labels = {}
    for k in NUM_CLASSES:
        col = table.column(f"{k}_label")
        if not pa.types.is_integer(col.type) or col.null_count:
            raise BenchError(
                f"{where}: column '{k}_label' is {col.type}"
                + (" with nulls" if col.null_count else "")
                + f", expected integer class ids; {PARQUET_HOW}"
            )
        labels[k] = col.to_numpy().astype(np.int64)
    return x, labels


def _parquet_files(root: Path, split: str) -> list[Path]:
    pats = (f"{split}-*.parquet", f"{split}/*.parquet", f"{split}.parquet")
    return sorted({p for pat in pats for p in root.rglob(pat)})


def _parquet_class_names(path: Path) -> dict[str, list[str]]:
    """Class names from the ``huggingface`` schema metadata ``datasets`` writes, else "0", "1", ..."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    try:
        feats = json.loads(meta[b"huggingface"])["info"]["features"]
        return {k: list(feats[f"{k}_label"]["names"]) for k in NUM_CLASSES}
    except (KeyError, TypeError, ValueError):
        return {k: [str(i) for i in range(n)] for k, n in NUM_CLASSES.items()}


def decode_parquet(files: dict[str, list[Path]]) -> Decoded:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = {}
    for split, paths in files.items():
        tables = []
        for p in paths:
            try:
                tables.append(pq.read_table(p))
            except (pa.ArrowException, OSError) as exc:
                raise BenchError(
                    f"{p}: truncated or corrupt parquet file ({str(exc).splitlines()[0]}); {PARQUET_HOW}"
                ) from None
        where = str(paths[0]) if len(paths) == 1 else f"{paths[0].parent} ({split})"
        out[split] = decode_table(pa.concat_tables(tables, promote_options="default"), where)
    names = _parquet_class_names(files["train"][0])
    return Decoded(out["train"][0], out["test"][0], out["train"][1], out["test"][1], names)


# ---- sources --------------------------------------------------------------------------------


def _bundle(
    source: str,
    fingerprint: str,
    decode: Callable[[], Decoded],
    where: str,
    how: str,
    label: str,
    verify_sizes: bool,
    num_classes: int | None,
    extra: dict[str, Any],
) -> DataBundle:
    if label not in NUM_CLASSES:
        raise BenchError(f"{source}: label {label!r} is not one of: {', '.join(NUM_CLASSES)}")
    n = NUM_CLASSES[label]
    if num_classes is not None and num_classes != n:
        raise BenchError(
            f"{source}: num_classes = {num_classes} but CIFAR-100 {label} labels have {n} classes; "
            f'drop num_classes or set label = "coarse" for 20 classes'
        )
    entry = cached_decode(source, fingerprint, decode)
    check_decoded(entry.decoded, where, NUM_CLASSES, IMAGE_SHAPE, SIZES if verify_sizes else None, how)
    train, test = split_arrays(entry.decoded, label)
    meta = {
        "source": source,
        "label": label,
        "num_classes": n,
        "train_size": len(train),
        "test_size": len(test),
        "source_fingerprint": fingerprint,
        "cache": entry.state,
        "cache_dir": str(entry.folder),
        "class_names": entry.decoded.class_names[label],
        **MEAN_STD,
        **extra,
    }
    return DataBundle(train, test, n, meta)


def _pickle_folder(root: Path, download: bool) -> Path:
    for cand in (root / "cifar-100-python", root):
        if all((cand / f).is_file() for f in PICKLE_FILES):
            return cand
    if download:
        from torchvision.datasets import CIFAR100

        try:
            CIFAR100(str(root), train=True, download=True)
        except Exception as exc:  # network, disk or checksum: all bad input for the user to fix
            raise BenchError(
                f"cifar100-python: downloading {URL} into {root} failed "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                f"download it by hand: mkdir -p {root} && curl -L {URL} | tar xz -C {root}"
            ) from None
        return root / "cifar-100-python"
    how = PICKLE_HOW.replace("ROOT", str(root))
    cand = root / "cifar-100-python" if (root / "cifar-100-python").is_dir() else root
    present = [f for f in PICKLE_FILES if (cand / f).is_file()]
    if present:
        missing = [f for f in PICKLE_FILES if f not in present]
        raise BenchError(
            f"cifar100-python: {cand} has {', '.join(present)} but not {', '.join(missing)}; "
            f"expected the files train, test, meta of {URL}; {how}"
        )
    raise BenchError(
        f"cifar100-python: no CIFAR-100 python folder at {root} (expected {root}/cifar-100-python/ "
        f"with train, test, meta); {how}"
    )


def load_cifar100_python(
    root: str | None = None,
    label: str = "fine",
    download: bool = False,
    verify_sizes: bool = True,
    num_classes: int | None = None,
) -> DataBundle:
    """CIFAR-100 from the torchvision pickle folder ``ROOT/cifar-100-python/`` (default ROOT: ./data)."""
    base = Path(root).expanduser() if root else data_root()
    folder = _pickle_folder(base, download)
    fingerprint = fingerprint_files([folder / f for f in PICKLE_FILES], folder)
    return _bundle(
        "cifar100-python",
        fingerprint,
        lambda: decode_pickles(folder),
        str(folder),
        PICKLE_HOW.replace("ROOT", str(base)),
        label,
        verify_sizes,
        num_classes,
        {"root": str(folder)},
    )


def load_cifar100_parquet(
    root: str | None = None, label: str = "fine", verify_sizes: bool = True, num_classes: int | None = None
) -> DataBundle:
    """CIFAR-100 from local parquet files as the hub stores them (``train-*.parquet``, ``test-*.parquet``)."""
    base = Path(root).expanduser() if root else data_root() / "cifar100"
    how = PARQUET_HOW.replace("ROOT", str(base))
    if not base.is_dir():
        raise BenchError(
            f"cifar100-parquet: folder {base} not found (expected train-*.parquet and test-*.parquet under it); {how}"
        )
    files = {s: _parquet_files(base, s) for s in ("train", "test")}
    for split, found in files.items():
        if not found:
            raise BenchError(
                f"cifar100-parquet: no {split}-*.parquet file under {base}; wrong layout, expected "
                f"the {HUB_REPO} files (cifar100/train-00000-of-00001.parquet, ...); {how}"
            )
    fingerprint = fingerprint_files(files["train"] + files["test"], base)
    return _bundle(
        "cifar100-parquet",
        fingerprint,
        lambda: decode_parquet(files),
        str(base),
        how,
        label,
        verify_sizes,
        num_classes,
        {"root": str(base)},
    )


def load_cifar100_hub(
    repo: str = HUB_REPO,
    name: str | None = None,
    revision: str | None = None,
    label: str = "fine",
    verify_sizes: bool = True,
    num_classes: int | None = None,
) -> DataBundle:
    """CIFAR-100 from the Hugging Face hub through ``datasets`` (honours HF_HOME, HF_*_OFFLINE)."""
    from .hub import hub_fingerprint, hub_load

    dataset_dict = hub_load(repo, name=name, revision=revision)
    for split in ("train", "test"):
        if split not in dataset_dict:
            raise BenchError(
                f"cifar100: hub dataset {repo} has splits {', '.join(dataset_dict)}, expected train and test"
            )

    def decode() -> Decoded:
        arrays = {s: decode_table(dataset_dict[s].with_format("arrow")[:], f"{repo} ({s})") for s in ("train", "test")}
        feats = dataset_dict["train"].features
        names = {
            k: list(getattr(feats.get(f"{k}_label"), "names", None) or map(str, range(n)))
            for k, n in NUM_CLASSES.items()
        }
        return Decoded(arrays["train"][0], arrays["test"][0], arrays["train"][1], arrays["test"][1], names)

    fingerprint = hub_fingerprint(dataset_dict)
    how = f"delete the Hugging Face cache for {repo} and load it again"
    return _bundle(
        "cifar100",
        fingerprint,
        decode,
        f"hub {repo}",
        how,
        label,
        verify_sizes,
        num_classes,
        {"repo": repo, "revision": revision},
    )
