"""Fourier analysis of a trained run (docs/METHOD.md section 5): relative log amplitude of every block's
feature map, averaged over test images; writes fourier.json and the two plots.

RUN is a run record (a file, or its path under RESULTS/runs/). The checkpoint is looked up in the
run's directory unless --checkpoint is given; a checkpoint that carries its config needs no RUN.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tabulate import tabulate

from ..errors import BenchError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", nargs="?", metavar="RUN", help="run record: a .json file or its path under RESULTS/runs/")
    p.add_argument("--images", type=int, default=256, help="test images to average over")
    p.add_argument("--checkpoint", type=Path, default=None, help="checkpoint file (default: found in the run's dir)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: RESULTS/fourier/<run>, or beside the checkpoint)",
    )
    p.add_argument("--results", type=Path, default=Path("results"), help="results folder holding runs/")
    p.add_argument("--batch-size", type=int, default=64, help="images per forward pass")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")


def main(args: argparse.Namespace) -> int:
    from ..analysis.loading import analyse_checkpoint, find_checkpoint, find_run, read_checkpoint
    from ..analysis.plots import plot_delta_vs_freq, plot_hf_vs_depth
    from ..data import load_data
    from ..records.atomic import atomic_write_json
    from ..suite.hashing import content_hash
    from ..train.distributed import resolve_device

    if args.run is None and args.checkpoint is None:
        raise BenchError("give a run record (RUN) or --checkpoint PATH")
    if args.images < 1 or args.batch_size < 1:
        raise BenchError(f"--images and --batch-size must be positive, got {args.images} and {args.batch_size}")
    ref = find_run(args.run, args.results) if args.run else None
    if ref is not None and not ref.record.complete:
        raise BenchError(f"{ref.relpath}: run status is {ref.record.status!r}; only complete runs are analysed")
    path = args.checkpoint or find_checkpoint(ref.run_dir)  # type: ignore[union-attr]
    if not path.is_file():
        raise BenchError(f"--checkpoint {path}: no such file")
    ckpt = read_checkpoint(path)
    # the core stamps the hash it was given (the record's) or, run alone, content_hash(config)
    ok_hashes = (None, ref.record.config_hash, content_hash(ref.record.config)) if ref else ()
    if ref is not None and ckpt.config_hash not in ok_hashes:
        raise BenchError(
            f"{path} was trained with config {str(ckpt.config_hash)[:12]}, the record has "
            f"{ref.record.config_hash[:12]}; rerun the run or pass the right --checkpoint"
        )
    config = ref.record.config if ref else ckpt.config
    if config is None:
        raise BenchError(f"{path}: checkpoint carries no config; also give the run record (RUN)")
    data = load_data(config["data"])
    summary = analyse_checkpoint(config, data, ckpt, args.images, args.batch_size, resolve_device(args.device))
    summary["source"]["run"] = ref.relpath if ref else None
    name = config["model"]["name"]

    default_out = ref.store.root / "fourier" / ref.relpath.removesuffix(".json") if ref else path.parent / "fourier"
    out = args.out or default_out
    atomic_write_json(out / "fourier.json", summary)
    label = f"{name}, {summary['images']} {summary['source']['data']} test images"
    plots = [
        plot_delta_vs_freq(summary, out / "delta_vs_freq.png", f"Δ log amplitude\n{label}"),
        plot_hf_vs_depth(summary, out / "hf_vs_depth.png", f"high-frequency Δ by depth\n{label}"),
    ]
    rows = [
        [
            b["name"],
            b["label"],
            b["map_size"],
            f"{b['hf_freq']:.4g}π",
            f"{b['hf_delta']:.3f}",
            "" if b["hf_change"] is None else f"{b['hf_change']:+.3f}",
        ]
        for b in summary["blocks"]
    ]
    print(tabulate(rows, ["site", "sub-block", "map", "freq", "Δ at freq", "change"], tablefmt="github"))
    print(f"mean Δ at the highest frequency: {summary['hf_delta_mean']:.3f}")
    for p in [out / "fourier.json", *plots]:
        print(f"wrote {p}")
    return 0
