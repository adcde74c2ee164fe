"""Check a data source: split sizes, classes, cache state and the hashes of its training subsets
(e.g. `prs-bench data check cifar100 --fraction 0.1 --write-subsets`). See docs/DATA.md."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from ..data.registry import SOURCES
from ..errors import BenchError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["check"], help="what to do")
    p.add_argument("source", metavar="SOURCE", help=f"a data source: {', '.join(SOURCES.names())}")
    p.add_argument("--root", default=None, help="local data folder for cifar100-python/-parquet, imagenet-folder")
    p.add_argument("--label", default=None, help="CIFAR-100 label kind: fine or coarse")
    p.add_argument(
        "--fraction",
        type=float,
        action="append",
        default=[],
        help="training fraction to build and hash a subset for (repeatable)",
    )
    p.add_argument("--subset-seed", type=int, default=0, help="seed of the seeded class-balanced draw")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other source option, as a TOML value (e.g. --set verify_sizes=false)",
    )
    p.add_argument(
        "--write-subsets",
        action="store_true",
        help="write each subset's index file under --subsets-dir and print the suite table",
    )
    p.add_argument("--subsets-dir", type=Path, default=None, help="where index files go (default: SUITES/subsets)")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    spec: dict[str, Any] = {"source": args.source}
    if args.root is not None:
        spec["root"] = args.root
    if args.label is not None:
        spec["label"] = args.label
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise BenchError(f"--set {item!r}: write KEY=VALUE, e.g. --set verify_sizes=false")
        try:
            spec[key] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            spec[key] = raw  # a bare word is a string
    return spec


def _class_counts(y: np.ndarray, n: int) -> str:
    counts = np.bincount(y, minlength=n)
    present = int((counts > 0).sum())
    return f"{present}/{n} ({int(counts[counts > 0].min()) if present else 0}-{int(counts.max())} per class)"


def main(args: argparse.Namespace) -> int:
    from ..data import load_data
    from ..data.subsets import apply_fraction, check_fraction, subset_indices, subset_name, write_index_file

    spec = _options(args)
    if not 0 <= args.subset_seed <= 2**31 - 1:
        raise BenchError(f"--subset-seed {args.subset_seed}: must be an integer in 0..{2**31 - 1}")
    fractions = [check_fraction(r) for r in args.fraction]
    if args.write_subsets and not [r for r in fractions if r < 1]:
        raise BenchError("--write-subsets needs at least one --fraction below 1, e.g. --fraction 0.1")
    bundle = load_data(spec)
    meta, n = bundle.meta, bundle.num_classes
    rows = []
    for split, data in (("train", bundle.train), ("test", bundle.test)):
        y = getattr(data, "y", None)
        size = len(data) if hasattr(data, "__len__") else meta.get(f"{split}_size")
        rows.append([split, size, _class_counts(y, n) if y is not None else f"? / {n} (streamed)"])
    print(f"source {args.source}: {SOURCES.get(args.source).about}")
    print(tabulate(rows, ["Split", "Images", "Classes present"], tablefmt="github"))
    print(f"cache: {meta.get('cache', 'none')}" + (f" ({meta['cache_dir']})" if meta.get("cache_dir") else ""))
    if not fractions:
        return 0
    rule = SOURCES.get(args.source).subset_rule
    label = meta.get("label")
    subdir = args.subsets_dir
    if args.write_subsets and subdir is None:
        from ..suite.load import default_suites_dir

        subdir = default_suites_dir() / "subsets"
    sub_rows, pins = [], {}
    for r in fractions:
        sub = apply_fraction(bundle, r, seed=args.subset_seed, rule=rule) if r < 1 else None
        digest = sub.meta["subset_sha256"] if sub else "(whole training set)"
        written = ""
        if sub is not None:
            pins[f"{r:g}"] = digest
            if args.write_subsets:
                index = subset_indices(bundle.train, r, rule, args.subset_seed)
                name = subset_name(args.source, r, rule, args.subset_seed, label)
                header = {
                    "source": args.source,
                    "label": label,
                    "fraction": f"{r:g}",
                    "rule": rule,
                    "seed": args.subset_seed if rule == "seeded" else None,
                    "sha256": digest,
                    "source_fingerprint": meta.get("source_fingerprint"),
                }
                written = str(write_index_file(subdir, name, index, {k: v for k, v in header.items() if v is not None}))
        tr = sub.train if sub else bundle.train
        sub_rows.append([f"{r:g}", len(tr), _class_counts(tr.y, n), digest] + ([written] if args.write_subsets else []))
    heads = ["Fraction", "Train images", "Classes present", "Index sha256"] + (["File"] if args.write_subsets else [])
    print(tabulate(sub_rows, heads, tablefmt="github"))
    if pins:
        table = ", ".join(f'"{k}" = "{v}"' for k, v in pins.items())
        seed = f"subset_seed = {args.subset_seed}, " if rule == "seeded" else ""
        print(f"suite data table: {seed}subset_sha256 = {{ {table} }}")
    return 0
