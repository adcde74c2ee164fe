"""Fuzz: seeded, bounded mutations of the shipped suite files and of run records, plus environment
faults, run in-process through the CLI's main(): no traceback, and only the documented exit codes
(0 ok, 1 a check or a record failed, 2 bad input, 130 interrupted). docs/RELIABILITY.md reports
the figures; ``FUZZ_SEED`` / ``FUZZ_N`` in the environment widen a local run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from bench.records import RecordStore
from bench.records.validate import with_digest
from tests.fakes import check_toml, fake_records, toy_suite

SEED = int(os.environ.get("FUZZ_SEED", "20261130"))
N_SUITE = int(os.environ.get("FUZZ_N", "300"))
N_RECORD = int(os.environ.get("FUZZ_N", "300"))
EXIT_CODES = {0, 1, 2, 130}
REPO = Path(__file__).resolve().parents[2]
TOML_VALUES = [
    "0",
    "-1",
    "1e20",
    "inf",
    "nan",
    '"abc"',
    '""',
    "true",
    "[]",
    "{}",
    '"../../escaped"',
    str(2**63),
    "1.0",
    "[[[[1]]]]",
    '{ kind = "prs" }',
    '"synthetic"',
    "0.001",
    "-0.5",
    "100000000000",
]
JSON_VALUES: list[Any] = [
    None,
    True,
    "",
    "abc",
    "../x",
    0,
    -1,
    1e308,
    2**63,
    101.0,
    -0.0,
    [],
    {},
    [1, "a"],
    {"a": {"b": []}},
    "NaN",
]
NOISE = '[]{}="\\\n\x00é#,.'


def call(argv: list[str]) -> tuple[int, str]:
    """Exit code and stderr of one CLI call; an escaping exception is a finding, so it propagates."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


def check_clean(argv: list[str], what: str) -> int:
    code, err = call(argv)
    assert code in EXIT_CODES, f"{what}: exit {code} for {argv}"
    assert "Traceback" not in err, f"{what}: traceback for {argv}:\n{err}"
    errors = [ln for ln in err.splitlines() if ln.startswith("prs-bench: error:")]
    assert len(errors) <= 1, f"{what}: several error lines for {argv}:\n{err}"
    return code


def mutate_toml(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.splitlines()
    kind = rng.choice(["value", "value", "value", "delete", "duplicate", "truncate", "noise", "key", "table"])
    i = rng.randrange(len(lines))
    if kind == "value":
        assigned = [j for j, ln in enumerate(lines) if " = " in ln and not ln.lstrip().startswith("#")]
        i = rng.choice(assigned)
        key = lines[i].split(" = ", 1)[0]
        lines[i] = f"{key} = {rng.choice(TOML_VALUES)}"
    elif kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "truncate":
        return kind, text[: rng.randrange(len(text))]
    elif kind == "noise":
        pos = rng.randrange(len(text))
        return kind, text[:pos] + "".join(rng.choice(NOISE) for _ in range(rng.randint(1, 4))) + text[pos:]
    elif kind == "key":
        assigned = [j for j, ln in enumerate(lines) if " = " in ln and not ln.lstrip().startswith("#")]
        i = rng.choice(assigned)
        key, rest = lines[i].split(" = ", 1)
        lines[i] = f"{key[:-1] or 'x'} = {rest}" if rng.random() < 0.5 else f"{key}x = {rest}"
    else:  # rename a table header: an arm or tier with an odd name
        heads = [j for j, ln in enumerate(lines) if ln.startswith("[")]
        i = rng.choice(heads)
        lines[i] = lines[i].replace(".", rng.choice(['."../', ".x.", '."a b".', ".."]), 1)
    return kind, "\n".join(lines) + "\n"


def test_fuzz_shipped_suite_files(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    shipped = {p.stem: p.read_text(encoding="utf-8") for p in sorted((REPO / "suites").glob("*.toml"))}
    folder = tmp_path / "suites"
    kinds: Counter[str] = Counter()
    codes: Counter[int] = Counter()
    for n in range(N_SUITE):
        name = rng.choice(sorted(shipped))
        kind, text = mutate_toml(shipped[name], rng)
        kinds[kind] += 1
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
        argv = ["run", name, "--suites-dir", str(folder), "--dry-run", "--out", str(tmp_path / "r")]
        codes[check_clean(argv, f"suite mutation {n} ({kind} in {name})")] += 1
    print(f"suite mutations: {N_SUITE} ({dict(kinds)}); exit codes {dict(codes)}")
    assert codes[2] > 0 and codes[0] > 0  # the fuzz both broke files and left some valid


def _results(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    checks = (
        check_toml("health", margin=1.0)
        + check_toml("order", a="vit", b="resnet", claim="C1")
        + check_toml("crossover", a="vit", b="resnet", claim="C1")
    )
    suite = toy_suite(tmp_path / "suites", checks)
    store = RecordStore(tmp_path / "results")
    vals = {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]}
    paths = [store.write(r.relpath, r) for r in fake_records(suite, "quick", vals)]
    return tmp_path / "suites", tmp_path / "results", paths


def _leaves(obj: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _leaves(v, (*path, i))
    return out


def mutate_record(raw: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["set", "set", "set+digest", "set+digest", "delete+digest", "truncate", "flip", "nan"])
    if kind == "truncate":
        return kind, raw[: rng.randrange(len(raw))]
    if kind == "flip":
        b = bytearray(raw)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return kind, bytes(b)
    rec = json.loads(raw)
    if kind == "nan":
        rec["metrics"]["test_acc"] = float(rng.choice(["nan", "inf"]))
        return kind, json.dumps(rec).encode()  # Python writes NaN / Infinity: not JSON, must be refused
    path = rng.choice(_leaves(rec)[1:])
    parent = rec
    for k in path[:-1]:
        parent = parent[k]
    if kind.startswith("delete"):
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(JSON_VALUES)
    if kind.endswith("+digest"):  # someone "fixing" the digest: the schema and the consumers must hold
        rec = with_digest(rec)
    return f"{kind} {'/'.join(map(str, path))}", json.dumps(rec).encode()


def test_fuzz_run_records(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    suites, results, paths = _results(tmp_path)
    pristine = {p: p.read_bytes() for p in paths}
    codes: Counter[tuple[str, int]] = Counter()
    for n in range(N_RECORD):
        target = rng.choice(paths)
        kind, data = mutate_record(pristine[target], rng)
        extra = None
        if rng.random() < 0.1:  # a copy of the record under another seed's or arm's name
            extra = rng.choice([p for p in paths if p != target])
            extra.write_bytes(pristine[target])
        target.write_bytes(data)
        what = f"record mutation {n} ({kind} of {target.relative_to(results)})"
        codes[("validate", check_clean(["validate", str(results)], what))] += 1
        if n % 3 == 0:
            codes[
                (
                    "leaderboard",
                    check_clean(["leaderboard", "--out", str(results), "--suites-dir", str(suites), "--strict"], what),
                )
            ] += 1
        for p in (target, extra):
            if p is not None:
                p.write_bytes(pristine[p])
    print(f"record mutations: {N_RECORD}; exit codes {dict(codes)}")
    assert codes[("validate", 1)] > 0


def _env_faults(tmp_path: Path) -> list[tuple[str, list[str]]]:
    afile = tmp_path / "afile"
    afile.write_text("x")
    sd = tmp_path / "s"
    sd.mkdir()
    (sd / "folder.toml").mkdir()
    (sd / "deep.toml").write_text("a = " + "[" * 100_000)
    (sd / "bytes.toml").write_bytes(b"\xff\xfe\x00name")
    return [
        ("--out is a file", ["run", "data-scale", "--seeds", "1", "--device", "cpu", "--out", str(afile / "r")]),
        ("--out is a file (leaderboard)", ["leaderboard", "--out", str(afile)]),
        ("results folder missing", ["leaderboard", "--out", str(tmp_path / "none")]),
        ("validate a missing path", ["validate", str(tmp_path / "none")]),
        ("suite is a folder", ["run", "folder", "--suites-dir", str(sd), "--dry-run"]),
        ("deeply nested TOML", ["run", "deep", "--suites-dir", str(sd), "--dry-run"]),
        ("binary suite file", ["run", "bytes", "--suites-dir", str(sd), "--dry-run"]),
        ("suites folder missing", ["list", "--suites-dir", str(tmp_path / "none")]),
        ("--device meta", ["run", "data-scale", "--device", "meta", "--out", str(tmp_path / "o")]),
        ("--device mps", ["run", "data-scale", "--device", "mps", "--out", str(tmp_path / "o")]),
        ("--seeds ,", ["run", "--seeds", ",", "--dry-run"]),
        ("--seeds 10000000000", ["run", "--seeds", "10000000000", "--dry-run"]),
        ("--workers -2", ["run", "data-scale", "--workers", "-2", "--out", str(tmp_path / "o")]),
        ("perf --threads -3", ["perf", "resnet_tiny", "--threads", "-3"]),
        (
            "unwritable --subsets-dir",
            ["data", "check", "synthetic", "--fraction", "0.5", "--write-subsets", "--subsets-dir", str(afile / "x")],
        ),
        ("synthetic n_trian", ["data", "check", "synthetic", "--set", "n_trian=5"]),
        ("synthetic n_train = 0", ["data", "check", "synthetic", "--set", "n_train=0"]),
        ("fraction too small", ["data", "check", "synthetic", "--set", "n_train=20", "--fraction", "0.001"]),
        ("subset_seed = -1", ["data", "check", "synthetic", "--set", "subset_seed=-1"]),
        ("image_size = 0", ["data", "check", "imagenet-folder", "--set", "image_size=0"]),
    ]


def test_environment_faults_are_one_line_exit_2(tmp_path: Path) -> None:
    faults = _env_faults(tmp_path)
    for what, argv in faults:
        code, err = call(argv)
        assert code == 2 and "Traceback" not in err, f"{what}: exit {code}\n{err}"
        assert len([ln for ln in err.splitlines() if ln.startswith("prs-bench")]) == 1, f"{what}:\n{err}"
    print(f"environment faults: {len(faults)}, all one line and exit 2")


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return os.system(f"mount -t tmpfs -o {options} tmpfs {where} 2>/dev/null") == 0


@pytest.mark.skipif(
    os.geteuid() != 0,
    reason="mounting a tmpfs needs root (the ENOSPC path is also simulated in tests/records/test_full_disk.py)",
)
def test_read_only_and_full_results_folders(tmp_path: Path) -> None:
    ro, full = tmp_path / "ro", tmp_path / "full"
    if not _mount_tmpfs(ro, "size=1m,ro") or not _mount_tmpfs(full, "size=64k"):
        pytest.skip("mount -t tmpfs is not allowed here")
    try:
        with contextlib.suppress(OSError), open(full / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        suites, results, _ = _results(tmp_path / "src")
        for target, advice in ((ro, "read-only file system"), (full, "the disk is full")):
            argv = [
                "baseline",
                "add",
                str(results),
                "--baselines",
                str(target / "baselines"),
                "--suites-dir",
                str(suites),
            ]
            code, err = call(argv)
            assert code == 2 and "Traceback" not in err and advice in err, err
    finally:
        os.system(f"umount {ro} {full} 2>/dev/null")
