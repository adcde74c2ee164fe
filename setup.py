"""Ship the checkout's suites/ and baselines/ inside the wheel as bench/_shipped/.

The repository-root folders stay the one source of truth (people edit and review them there);
this build step copies them into the built package so an installed prs-bench finds them
(bench/paths.py). All other metadata lives in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("suites", "baselines")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders directly
        dest = Path(self.build_lib) / "bench" / "_shipped"
        for name in SHIPPED:
            src = ROOT / name
            if not src.is_dir():
                raise SystemExit(f"setup.py: {src} not found; build from a full checkout or sdist")
            shutil.rmtree(dest / name, ignore_errors=True)
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".*"))


setup(cmdclass={"build_py": BuildPyWithData})
