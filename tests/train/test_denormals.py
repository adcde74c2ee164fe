"""Subnormal floats flush to zero in training processes (``bench.train.engine.flush_denormals``).

Checked in fresh interpreters: the flag is per thread and inherited only by threads started after
it, which is the contract the CLI and the side-by-side workers rely on.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SUBNORMAL_MATMUL = (
    "import torch\n"
    "{setup}\n"
    "torch.set_num_threads(2)\n"
    "a = torch.full((256, 256), 1e-39)\n"
    "print('max', float((a @ torch.ones(256, 256)).abs().max()))\n"
)


def _run(setup: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", SUBNORMAL_MATMUL.format(setup=setup)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1].split()[-1])


def test_without_the_flag_subnormals_survive() -> None:
    assert _run("") > 0.0  # the control: otherwise the next test could not fail


def test_flag_set_first_reaches_the_intra_op_threads() -> None:
    assert _run("from bench.train.engine import flush_denormals\nassert flush_denormals()") == 0.0


@pytest.mark.parametrize("entry", ["cli", "core"])
def test_training_entry_points_flush(entry: str) -> None:
    """The CLI sets it before any command runs; the core sets it on the training thread."""
    code = {
        "cli": "import contextlib, io\nfrom bench.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n    main(['list'])",
        "core": "from bench.train.engine import fast_kernels\nfast_kernels(torch.device('cpu')).__enter__()",
    }[entry]
    assert _run(code) == 0.0
