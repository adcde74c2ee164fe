"""The CLI end to end on a tiny suite: run, skip on rerun, leaderboard from records, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import COMMANDS, main

TINY = """
name = "tiny"
version = 1
title = "tiny end-to-end suite"
changelog = ["v1: test fixture"]
[recipes.sgd]
optimizer = "sgd"
lr = 0.05
augment = { crop_pad = 2, flip = true }
[arms.cnn]
model = "resnet_tiny"
recipe = "sgd"
[tiers.smoke]
data = { source = "synthetic", num_classes = 4, n_train = 96, n_test = 48 }
epochs = 2
batch_size = 32
seeds = [0]
[[tiers.smoke.checks]]
kind = "health"
margin = 0.0   # plumbing test: the health rule itself is tested in tests/verdicts
"""


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    sd = tmp_path / "suites"
    sd.mkdir()
    (sd / "tiny.toml").write_text(TINY)
    return sd, tmp_path / "results"


def test_run_skip_and_leaderboard(tiny, capsys) -> None:
    sd, out = tiny
    args = ["--suites-dir", str(sd), "--out", str(out), "--device", "cpu"]
    assert main(["run", *args]) == 0
    first = capsys.readouterr()
    rec_path = out / "runs/tiny/v1/smoke/cnn/synthetic-f1/seed0.json"
    rec = json.loads(rec_path.read_text())
    assert rec["status"] == "complete" and len(rec["history"]) == 2
    assert rec["provenance"]["threads"] >= 1 and rec["data"]["source"] == "synthetic"
    assert "tiny v1 · tier smoke" in first.out and "cnn [resnet_tiny]" in first.out
    mtime = rec_path.stat().st_mtime_ns
    assert main(["run", *args]) == 0
    second = capsys.readouterr()
    assert "skipping 1 finished run" in second.err and rec_path.stat().st_mtime_ns == mtime
    assert main(["leaderboard", "--suites-dir", str(sd), "--out", str(out)]) == 0
    board = capsys.readouterr().out
    assert board.strip() == second.out.strip()
    assert main(["leaderboard", "--suites-dir", str(sd), "--out", str(out), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["arms"][0]["top1_values"] == [rec["metrics"]["test_acc"]]
    stats = rec["model_stats"]  # the record's model size reaches the Arms table
    assert data["arms"][0]["params_start"] == stats["params_start"] > 0
    assert data["arms"][0]["gflops_end"] == pytest.approx(stats["gflops_end"])
    assert f"{stats['params_start'] / 1e6:.2f}" in board


def planned_ids(dry_run_output: str) -> list[str]:
    """Run ids from the first column of ``run --dry-run``'s per-run table."""
    return [
        ln.strip("|").split("|")[0].strip()
        for ln in dry_run_output.splitlines()
        if ln.startswith("| ") and "/seed" in ln.split("|")[1]
    ]


def test_dry_run_and_list(tiny, capsys) -> None:
    sd, out = tiny
    assert main(["run", "--suites-dir", str(sd), "--out", str(out), "--dry-run", "--seeds", "2"]) == 0
    text = capsys.readouterr().out
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in text.splitlines() if ln.startswith("| tiny/")]
    assert [r[0] for r in rows] == ["tiny/v1/smoke/cnn/synthetic-f1/seed0", "tiny/v1/smoke/cnn/synthetic-f1/seed1"]
    assert all(r[5] == "pending" for r in rows) and "estimate" in text  # status; time labelled an estimate
    assert not out.exists()
    assert main(["list", "--suites-dir", str(sd)]) == 0
    assert "tiny" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "nope"], "unknown suite 'nope'"),
        (["run", "tiny", "--tier", "full"], "no tier 'full'"),
        (["run", "tiny", "--seeds", "x"], "--seeds 'x'"),
        (["run", "tiny", "--seeds", "0"], "--seeds '0'"),
        (["run", "tiny", "--seeds", "4,"], "--seed-list"),
        (["run", "tiny", "--seeds", "1000000"], "1 to 100"),
        (["run", "tiny", "--seed-list", ","], "--seed-list ','"),
        (["run", "tiny", "--seed-list", "-1"], "--seed-list '-1'"),
        (["run", "tiny", "--seeds", "2", "--seed-list", "0"], "do not combine"),
        (["run", "--tier", "nosuch"], "no suite has tier 'nosuch'; tiers: smoke"),
        (["leaderboard"], "no run records"),
    ],
)
def test_bad_input_is_one_line_exit_2(tiny, capsys, argv, needle) -> None:
    sd, out = tiny
    assert main([*argv, "--suites-dir", str(sd), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and err[0].startswith("prs-bench: error:")


def test_malformed_suite_exit_2_without_traceback(tiny) -> None:
    sd, out = tiny
    (sd / "tiny.toml").write_text(TINY.replace("epochs = 2", "epochs = -1"))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli", "run", "--suites-dir", str(sd), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "tiny.toml" in proc.stderr and "'tiers.smoke.epochs'" in proc.stderr


FOURIER = """
name = "fourier"
version = 1
title = "tiny suite with a Fourier analysis"
changelog = ["v1: test fixture"]
[recipes.adamw]
optimizer = "adamw"
lr = 1e-3
[arms.prs]
model = "reparam_vit_cpu_tiny"
recipe = "adamw"
schedule = { kind = "prs", first = 0, last = 1 }
[tiers.smoke]
data = { source = "synthetic", num_classes = 4, n_train = 64, n_test = 32 }
epochs = 2
batch_size = 32
seeds = [0]
analysis = { fourier_images = 8 }
"""


def test_tier_analysis_lands_in_the_record_and_plots(tmp_path: Path, capsys) -> None:
    sd = tmp_path / "suites"
    sd.mkdir()
    (sd / "fourier.toml").write_text(FOURIER)
    out = tmp_path / "results"
    assert main(["run", "--suites-dir", str(sd), "--out", str(out), "--device", "cpu"]) == 0
    rec = json.loads((out / "runs/fourier/v1/smoke/prs/synthetic-f1/seed0.json").read_text())
    fourier = rec["analysis"]["fourier"]
    assert fourier["images"] == 8 and len(fourier["blocks"]) == 9  # site 0 (embedding) + 4 blocks x (mixer, mlp)
    assert [b["attention"] for b in fourier["blocks"][1::2]] == [True] * 4  # every mixer switched by epoch 1
    assert rec["config"]["analysis"] == {"fourier_images": 8}
    pngs = sorted(p.name for p in (out / "leaderboard/smoke").glob("*fourier*.png"))
    assert pngs and all(p.startswith("fourier-v1-smoke") for p in pngs)
    assert "Fourier analysis of 8 test images" in capsys.readouterr().err


def test_bare_command_prints_help_and_trains_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "bench.cli"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: prs-bench")
    assert "run" in proc.stdout and "leaderboard" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_version(capsys) -> None:
    from bench import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"prs-bench {__version__}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_says_each_default_once(command: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for line in text.split("--"):
        assert line.count("(default") <= 1 and "default: None" not in line and "default: []" not in line, line


def test_seed_list_runs_exactly_those_seeds(tiny, capsys) -> None:
    sd, out = tiny
    assert main(["run", "--suites-dir", str(sd), "--out", str(out), "--dry-run", "--seed-list", "4"]) == 0
    assert planned_ids(capsys.readouterr().out) == ["tiny/v1/smoke/cnn/synthetic-f1/seed4"]


def test_tier_selects_the_suites_that_have_it(tiny, capsys) -> None:
    sd, out = tiny
    (sd / "wide.toml").write_text(TINY.replace('name = "tiny"', 'name = "wide"').replace("[tiers.smoke", "[tiers.big"))
    assert main(["run", "--suites-dir", str(sd), "--out", str(out), "--dry-run", "--tier", "big"]) == 0
    captured = capsys.readouterr()
    assert planned_ids(captured.out) == ["wide/v1/big/cnn/synthetic-f1/seed0"]
    assert "skipping suite(s) without it: tiny" in captured.err
    assert main(["run", "tiny", "--suites-dir", str(sd), "--out", str(out), "--dry-run", "--tier", "big"]) == 2
    assert "suite 'tiny' has no tier 'big'" in capsys.readouterr().err


def test_shard_jobs_get_the_same_run_options() -> None:
    """A launcher's shard jobs rerun this command line: every run option must survive shard_argv."""
    from bench.cli import build_parser
    from bench.cli.run_cmd import shard_argv

    parser = build_parser()
    argv = [
        "run",
        "tiny",
        "--tier",
        "quick",
        "--seed-list",
        "0,4",
        "--arms",
        "cnn",
        "--device",
        "cpu",
        "--rerun",
        "--format",
        "json",
        "--out",
        "res",
        "--suites-dir",
        "sd",
        "--precision",
        "bf16",
        "--compile",
        "off",
        "--checkpoint-every",
        "2",
        "--checkpoint-steps",
        "5",
        "--workers",
        "3",
    ]
    launcher = ["--launcher", "local", "--jobs", "2", "--no-wait"]
    args = parser.parse_args(argv + launcher)
    again = parser.parse_args(shard_argv(argv + launcher))
    skip = {"launcher", "jobs", "no_wait", "launcher_params", "launcher_folder", "_main"}
    assert {k: v for k, v in vars(again).items() if k not in skip} == {
        k: v for k, v in vars(args).items() if k not in skip
    }
    assert parser.parse_args(shard_argv(["run", "--seeds", "3"])).seeds == "3"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_top_level_help_imports_no_command_module(argv: list[str]) -> None:
    """`prs-bench --help` must be instant: it loads neither torch nor timm nor any command module;
    a command's own help loads only that command."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from bench.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('torch', 'timm', 'bench.cli.run_cmd', 'bench.cli.list_cmd') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    code = code.replace(repr(argv), repr(["list", "--help"]))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert "'bench.cli.list_cmd'" in out.stdout and "bench.cli.run_cmd" not in out.stdout
