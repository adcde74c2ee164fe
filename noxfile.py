"""nox sessions: one per suite (discovered from suites/), plus tests, smoke and leaderboard.

Sessions run in the CURRENT environment by default (no per-session virtualenv): a torch install
costs about a minute and 6 GB per session, and a GPU runner already has the right CUDA build.
Set PRS_BENCH_NOX_VENV=1 to get isolated virtualenvs that install the project first.

    nox -l                                   # list sessions
    nox -s tests
    nox -s lint typecheck
    nox -s "suite(reparam-interp)" -- --tier smoke
    nox -s "suite(cifar100-prs)" -- --tier quick --device cuda
    nox -s gpu_check -- --peak-tflops 989        # on a GPU machine; writes gpu-check.json
    nox -s docs_img -- results                   # docs/img (the README's plots) from smoke records
    nox -s cpu_tiers                             # every suite's cpu tier on real Fashion-MNIST, then the report
    nox -s readme_results                        # README's CPU results section from results-cpu/
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
ISOLATED = os.environ.get("PRS_BENCH_NOX_VENV") == "1"
nox.options.default_venv_backend = "virtualenv" if ISOLATED else "none"
nox.options.sessions = ["tests"]
SUITES = sorted(p.stem for p in (ROOT / "suites").glob("*.toml"))


def _prepare(session: nox.Session) -> None:
    if ISOLATED:
        session.install("-e", ".[test]")


@nox.session
def tests(session: nox.Session) -> None:
    """The fast tests (``pytest``); ``nox -s tests -- -m slow`` runs the slow ones (CI runs both)."""
    _prepare(session)
    session.run("pytest", *session.posargs, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and the format check (configuration in pyproject.toml)."""
    _prepare(session)
    session.run("ruff", "check", "bench", "tests", "noxfile.py", external=True)
    session.run("ruff", "format", "--check", "bench", "tests", "noxfile.py", external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over bench/ (configuration in pyproject.toml)."""
    _prepare(session)
    session.run("mypy", "bench", external=True)


@nox.session
def smoke(session: nox.Session) -> None:
    """Every suite's smoke tier on the CPU/synthetic data, then the leaderboard."""
    _prepare(session)
    session.run("prs-bench", "run", "--tier", "smoke", *session.posargs, external=True)


@nox.session
@nox.parametrize("name", SUITES, ids=SUITES)
def suite(session: nox.Session, name: str) -> None:
    """One suite; pass prs-bench run options after --, e.g. -- --tier quick --seeds 3."""
    _prepare(session)
    session.run("prs-bench", "run", name, *session.posargs, external=True)


@nox.session(name="cpu_tiers")
def cpu_tiers(session: nox.Session) -> None:
    """Every suite's `cpu` tier (real Fashion-MNIST: `apt-get install dataset-fashion-mnist`) on this
    machine's CPU, then the leaderboard (tables and plots) and the HTML report of those tiers.

    -- RESULTS (default: results-cpu) names the results folder; finished runs there are kept, output
    lands in RESULTS/leaderboard/cpu/ and RESULTS/report.html. A failed run or claim check (run's exit
    1) does not stop the rendering; the gate on the verdicts is
    `prs-bench leaderboard --out RESULTS --tier cpu --strict`."""
    _prepare(session)
    results = session.posargs[0] if session.posargs else "results-cpu"
    out = ["--out", results, "--tier", "cpu"]
    # run prints the tables and writes them with the plots to RESULTS/leaderboard/cpu/
    session.run("prs-bench", "run", *out, "--device", "cpu", external=True, success_codes=[0, 1])
    session.run("prs-bench", "report", results, "--tier", "cpu", "--html", f"{results}/report.html", external=True)
    session.log(f"leaderboard, plots: {results}/leaderboard/cpu/; report: {results}/report.html")


@nox.session(name="readme_results")
def readme_results(session: nox.Session) -> None:
    """README.md's "Results on real data (CPU)" section from a results folder: -- RESULTS (default:
    results-cpu, what `nox -s cpu_tiers` writes). The claims table of every cpu tier with the
    records' dates, commits and machine; never edited by hand."""
    _prepare(session)
    results = session.posargs[0] if session.posargs else "results-cpu"
    session.run("python", "-m", "bench.report.readme", results, "--readme", str(ROOT / "README.md"), external=True)


@nox.session
def leaderboard(session: nox.Session) -> None:
    """Render the leaderboard from stored records; pass options after --."""
    _prepare(session)
    session.run("prs-bench", "leaderboard", *session.posargs, external=True)


@nox.session(name="gpu_check")
def gpu_check(session: nox.Session) -> None:
    """The GPU measurements for docs/PERFORMANCE.md (under 10 minutes on one GPU): perf of every model,
    a compiled bf16 run through a switch, torchrun/NCCL. Options after --, e.g. -- --peak-tflops 989;
    -- --device cpu --quick tests the script without a GPU."""
    _prepare(session)
    session.run("prs-bench", "gpu-check", *session.posargs, external=True)


# README plot -> the leaderboard PNG it is a copy of (smoke tier; the suite version is in the name)
DOCS_IMG = {
    "smoke-accuracy-vs-fraction.png": "data-scale-v*-smoke-accuracy-vs-fraction.png",
    "smoke-curves.png": "cifar100-prs-v*-smoke-curves-synthetic-f1.png",
    "smoke-fourier-zero.png": "reparam-interp-v*-smoke-fourier-zero-synthetic-f1.png",
    "smoke-fourier-depth.png": "reparam-interp-v*-smoke-fourier-depth-synthetic-f1.png",
}


@nox.session(name="docs_img")
def docs_img(session: nox.Session) -> None:
    """docs/img (the README's plots) from a smoke run's records: -- RESULTS (default: results).

    Copies four of `prs-bench leaderboard --tier smoke`'s plots, reduced to 256 colours (about a
    third of the bytes; the plots have few colours) so the repository stays small."""
    import logging
    import tempfile

    try:
        from PIL import Image  # matplotlib's dependency
    except ImportError:
        session.error("docs_img needs Pillow (installed with matplotlib) in the environment nox runs in")
    logging.getLogger("PIL").setLevel(logging.INFO)  # nox logs at DEBUG; PIL would list every PNG chunk
    results = session.posargs[0] if session.posargs else "results"
    with tempfile.TemporaryDirectory() as tmp:
        session.run(
            "prs-bench", "leaderboard", "--out", results, "--tier", "smoke", "--plots", tmp, external=True, silent=True
        )
        for name, pattern in DOCS_IMG.items():
            found = sorted(Path(tmp).glob(pattern))
            if len(found) != 1:
                session.error(f"{results}: expected one plot {pattern} from the smoke records, found {len(found)}")
            image = Image.open(found[0]).convert("RGB").quantize(256, dither=Image.Dither.NONE)
            image.save(ROOT / "docs" / "img" / name, optimize=True)
            session.log(f"docs/img/{name} <- {found[0].name}")
