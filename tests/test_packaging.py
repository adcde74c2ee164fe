"""A wheel installed outside the checkout finds its suites and baselines (no editable install)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "bench", "suites", "baselines")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_wheel_install_lists_shipped_suites(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in SOURCES:
        s = ROOT / name
        if s.is_dir():
            shutil.copytree(s, src / name, ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(s, src / name)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("prs_bench-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path)
    # this interpreter's packages (torch, timm, ...) without re-installing them; a .pth only adds
    # paths, so the editable prs-bench of the development environment is not picked up
    Path(purelib.stdout.strip(), "_parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PRS_BENCH_SUITES", "PRS_BENCH_BASELINES")}
    where = _run([str(py), "-c", "import bench.paths as p; print(p.PACKAGE)"], cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv)
    listed = _run([str(venv / "bin" / "prs-bench"), "list"], cwd=elsewhere, env=env).stdout
    for suite in sorted((ROOT / "suites").glob("*.toml")):
        assert suite.stem in listed
    baselines = _run(
        [
            str(py),
            "-c",
            "from bench.baselines import Baselines; b = Baselines(); print(b.root); print(len(b.reported))",
        ],
        cwd=elsewhere,
        env=env,
    ).stdout.split()
    assert Path(baselines[0]).is_relative_to(venv) and int(baselines[1]) > 0
    version = _run([str(venv / "bin" / "prs-bench"), "--version"], cwd=elsewhere, env=env).stdout
    assert version.split() == ["prs-bench", __import__("bench").__version__]
    # data files inside the package (schemas, tables) travel too
    installed = Path(where.stdout.strip())
    data = [
        p.relative_to(ROOT / "bench")
        for p in (ROOT / "bench").rglob("*")
        if p.is_file() and p.suffix in (".json", ".toml") and "_shipped" not in p.parts
    ]
    assert [p for p in data if not (installed / p).is_file()] == []
