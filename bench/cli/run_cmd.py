"""Run suite tiers: plan the runs, train what is not finished, write records, print the leaderboard.

Exit 0 when every verdict passed or was inconclusive, 1 when a check failed or a run failed,
130 when interrupted (a checkpoint is left: rerun with --resume).

Scale-out: ``torchrun --nproc_per_node G -m bench.cli run ...`` trains each run on G processes
(DDP); ``--shard K/N`` takes a deterministic share of the planned runs (CI matrices);
``--launcher slurm --jobs N`` submits N shard jobs through submitit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import BenchError, CheckFailed
from ..records import RecordStore
from ..report import build_tables, render, tier_reports, write_tables
from ..runner import run_all, side_by_side
from ..suite import RunSpec, Suite, load_suites, parse_seeds, plan_runs
from ..suite.load import DEFAULT_TIER
from ..suite_check import load_checked_suites
from ..train import CoreOptions
from ..train.distributed import DistInfo, resolve_device
from .common import ON_OFF, add_out, add_suites_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "suites", nargs="*", metavar="SUITE", help="suites to run (default: every suite that has the --tier)"
    )
    p.add_argument(
        "--tier",
        default=None,
        help="smoke (CPU, synthetic), quick or full (GPU, real data), "
        "or any other tier a suite defines (see `prs-bench list`); default: smoke, or the named "
        "suites' default_tier (controls: ci)",
    )
    p.add_argument(
        "--seeds",
        default=None,
        metavar="N",
        help="run seeds 0..N-1 (default: the tier's list; every shipped tier lists seeds from 0)",
    )
    p.add_argument("--seed-list", default=None, metavar="S,S,...", help="run exactly these seeds, e.g. 0,4")
    p.add_argument("--arms", default=None, help="comma-separated arms to run (default: the tier's)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--rerun", action="store_true", help="repeat finished runs (old records are archived)")
    p.add_argument("--resume", action="store_true", help="continue interrupted runs from their checkpoints")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the planned runs (epochs, images, FLOPs, done/pending/stale, estimated time) and exit",
    )
    p.add_argument(
        "--format",
        default="text",
        choices=["text", "md", "github", "csv", "json"],
        help="leaderboard format (text: compact, fits the terminal; github/md: every column; csv: the arms "
        "table, `prs-bench leaderboard --table` for the others)",
    )
    g = p.add_argument_group("training core")
    g.add_argument("--compile", default="auto", choices=list(ON_OFF), help="torch.compile (auto: on for CUDA)")
    g.add_argument(
        "--precision",
        default=None,
        choices=["fp32", "bf16", "fp16"],
        help="autocast precision (default: bf16 on CUDA, fp32 on CPU)",
    )
    g.add_argument("--checkpoint-every", type=int, default=1, metavar="E", help="checkpoint every E epochs (0: off)")
    g.add_argument(
        "--checkpoint-steps",
        type=int,
        default=0,
        metavar="K",
        help="also checkpoint every K steps inside an epoch (0: off)",
    )
    g.add_argument("--workers", type=int, default=8, help="DataLoader workers for streamed (ImageNet-size) data")
    g.add_argument(
        "--parallel",
        type=int,
        default=None,
        metavar="N",
        help="train N runs side by side, one thread each (default: one per core on a CPU, 1 on a GPU)",
    )
    g.add_argument(
        "--log-to",
        action="append",
        default=None,
        metavar="TRACKER",
        help="also log each epoch and switch to TensorBoard (RUN_DIR/tensorboard) or W&B (repeatable; "
        'extras: pip install "prs-bench[tensorboard]" / "prs-bench[wandb]")',
    )
    s = p.add_argument_group("spreading runs over machines")
    s.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="run only shard K of N (shards balanced by estimated cost over the whole plan)",
    )
    s.add_argument(
        "--launcher",
        default=None,
        choices=["slurm", "local", "debug"],
        help="submit --jobs shard jobs through submitit instead of running here",
    )
    s.add_argument("--jobs", type=int, default=1, help="number of shard jobs for --launcher")
    s.add_argument(
        "--launcher-params",
        default=None,
        metavar="K=V,...",
        help="submitit executor parameters, e.g. slurm_partition=gpu,timeout_min=600,gpus_per_node=1",
    )
    s.add_argument("--launcher-folder", type=Path, default=None, help="submitit logs (default: OUT/submitit)")
    s.add_argument("--no-wait", action="store_true", help="with --launcher: submit and exit")
    add_out(p)
    add_suites_dir(p)


def core_options(args: argparse.Namespace) -> CoreOptions:
    if args.checkpoint_every < 0 or args.checkpoint_steps < 0:
        raise BenchError("--checkpoint-every and --checkpoint-steps must be >= 0")
    if args.workers < 0:
        raise BenchError(f"--workers {args.workers}: must be >= 0 (0 decodes in the main process)")
    from ..train.tracking import check_backends

    return CoreOptions(
        compile=ON_OFF[args.compile],
        precision=args.precision,
        checkpoint_every=args.checkpoint_every,
        checkpoint_steps=args.checkpoint_steps,
        workers=args.workers,
        log_to=check_backends(args.log_to or ()),
    )


def default_tier(named: list[Suite]) -> str:
    """The tier to run without --tier: the named suites' common ``default_tier``; smoke when none is named."""
    tiers = sorted({s.default_tier for s in named}) or [DEFAULT_TIER]
    if len(tiers) > 1:
        raise BenchError(
            f"the named suites default to different tiers ({', '.join(tiers)}); give --tier, or run them separately"
        )
    return tiers[0]


def suites_with_tier(suites: list[Suite], tier: str, named: bool) -> list[Suite]:
    """Suites named on the command line must all have the tier; otherwise those that have it run."""
    if named:
        for s in suites:
            s.tier(tier)  # one-line error naming the suite's tiers
        return suites
    chosen = [s for s in suites if tier in s.tiers]
    if not chosen:
        tiers = sorted({t for s in suites for t in s.tiers})
        raise BenchError(f"no suite has tier {tier!r}; tiers: {', '.join(tiers) or 'none'}")
    skipped = [s.name for s in suites if tier not in s.tiers]
    if skipped:
        print(f"tier {tier!r}: skipping suite(s) without it: {', '.join(skipped)}", file=sys.stderr)
    return chosen


# options of `run` that belong to the launcher (value: takes an argument); a shard job gets everything else
LAUNCHER_OPTIONS = {
    "--launcher": True,
    "--jobs": True,
    "--launcher-params": True,
    "--launcher-folder": True,
    "--no-wait": False,
    "--shard": True,
}


def shard_argv(argv: list[str]) -> list[str]:
    """The command line as the user typed it, minus the launcher's options: a flag added to ``run``
    later reaches the shard jobs without anyone listing it here."""
    out: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        name, eq, _ = token.partition("=")
        if name in LAUNCHER_OPTIONS:
            skip = LAUNCHER_OPTIONS[name] and not eq
            continue
        out.append(token)
    return out


def launch(args: argparse.Namespace) -> int:
    from ..launch.submit import parse_params, submit_shards

    if args.shard:
        raise BenchError("--shard and --launcher do not combine: the launcher assigns the shards")
    folder = args.launcher_folder or Path(args.out) / "submitit"
    from . import main as cli_main

    jobs = submit_shards(
        shard_argv(args.argv), args.jobs, args.launcher, folder, parse_params(args.launcher_params), entry=cli_main
    )
    print(
        f"submitted {len(jobs)} job(s) ({args.launcher}): {', '.join(str(j.job_id) for j in jobs)}; logs in {folder}",
        file=sys.stderr,
    )
    if args.no_wait:
        return 0
    codes = [int(j.result() or 0) for j in jobs]
    print(
        f"jobs finished with exit codes {codes}; `prs-bench leaderboard --out {args.out}` shows all records",
        file=sys.stderr,
    )
    return max(codes)


def estimate_target(args: argparse.Namespace, options: CoreOptions) -> tuple[str, str]:
    """Device type and precision the cost estimate assumes: what this command would run with."""
    import torch

    from ..train.engine import resolve_options

    name = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    device_type = name.split(":")[0]
    return device_type, str(resolve_options(options, torch.device(device_type)).precision)


def dry_run(args: argparse.Namespace, specs: list, options: CoreOptions, device_type: str, precision: str) -> int:
    """The plan with cost and status. Under torchrun the environment says how many ranks a run would
    have (``DistInfo.described``: no process group is joined); side by side as ``runner.side_by_side``
    would decide it (under torchrun a run spans the ranks instead)."""
    import torch

    from ..launch.plan_view import plan_rows, render_plan
    from ..train.engine import resolve_options, runtime_of

    device = torch.device(device_type)
    dist = DistInfo.described()
    runtime = runtime_of(resolve_options(options, device), device, dist.world)
    store = RecordStore(args.out)
    rows = plan_rows(
        specs, lambda s: store.status(s.relpath, s.config_hash, runtime), device_type, precision, rerun=args.rerun
    )
    workers = side_by_side(device, dist, sum(1 for r in rows if r.todo), args.parallel)
    print(render_plan(rows, device_type, precision, workers=workers))
    return 0


def main(args: argparse.Namespace) -> int:
    from ..launch import parse_shard, select_shard
    from ..train.distributed import init_from_env, rank_device

    if args.tier is None:
        args.tier = default_tier(load_suites(args.suites or None, args.suites_dir) if args.suites else [])
    if args.launcher:
        return launch(args)
    suites = suites_with_tier(
        load_checked_suites(args.suites or None, args.suites_dir), args.tier, named=bool(args.suites)
    )
    arms = args.arms.split(",") if args.arms else None
    specs = []
    for s in suites:
        seeds = parse_seeds(s.tier(args.tier)["seeds"], count=args.seeds, listed=args.seed_list)
        specs += plan_runs(s, args.tier, seeds=seeds, arms=arms)
    options = core_options(args)  # bad options fail before anything trains (also under --dry-run)
    device_type, precision = estimate_target(args, options)
    from ..launch.cost import estimate

    def cost(spec: RunSpec) -> float:
        return estimate(spec.config, device_type, precision).seconds

    if args.shard:
        k, n = parse_shard(args.shard)
        specs = select_shard(specs, k, n, cost=cost)
    if args.parallel is not None and args.parallel < 1:
        raise BenchError(f"--parallel {args.parallel}: give a number of runs >= 1")
    if args.dry_run:
        return dry_run(args, specs, options, device_type, precision)
    device = resolve_device(args.device)
    dist = init_from_env(device.type)
    device = rank_device(device, dist)
    store = RecordStore(args.out)
    summary = run_all(
        specs,
        store,
        device,
        rerun=args.rerun,
        resume=args.resume,
        options=options,
        dist=dist,
        parallel=args.parallel,
        cost=cost,
    )
    if not dist.is_main:
        return 0
    if summary.held:
        print(
            f"{len(summary.held)} run(s) were held by another process and skipped here; their records appear "
            f"when that process finishes (`prs-bench leaderboard --out {args.out}`)",
            file=sys.stderr,
        )
    reports = tier_reports(suites, store.all(), tiers=[args.tier])
    arm_rows, claim_rows = build_tables(reports)
    print(render(arm_rows, claim_rows, args.format))
    if not args.shard:
        from ..report.plots import write_plots

        board = Path(args.out) / "leaderboard" / args.tier
        written = write_tables(board, arm_rows, claim_rows) + write_plots(reports, board)
        print(f"\nwrote {len(written)} file(s) (tables and plots) under {board}", file=sys.stderr)
    # a failed claim check, or a control that did not come out as expected (an expected fail is fine)
    failed_checks = [] if args.shard else [r for r in claim_rows if r.verdict.gate_status == "fail"]
    if args.shard:
        print(
            f"shard {args.shard}: {len(specs)} run(s); verdicts wait for all shards "
            f"(`prs-bench leaderboard --out {args.out}`)",
            file=sys.stderr,
        )
    if summary.failed or failed_checks:
        raise CheckFailed(f"{len(failed_checks)} check(s) failed, {len(summary.failed)} run(s) failed")
    return 0
