"""The GPU workflow is checked here, since it runs only on a self-hosted GPU runner: its actions are
pinned, its runner label and variables are declared for actionlint, its jobs and steps refer to
each other correctly, and every ``prs-bench`` command in it parses with the real CLI."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
GH = ROOT / ".github"
WORKFLOW = GH / "workflows" / "gpu-regression.yml"
CPU_WORKFLOW = GH / "workflows" / "cpu-tiers.yml"
LOCAL_ACTION = GH / "actions" / "prs-bench-env" / "action.yml"
GITHUB_LABELS = {"self-hosted", "linux", "macos", "windows", "x64", "arm", "arm64"}
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s+v\d+\.\d+\.\d+\s*$")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return load(WORKFLOW)


def run_scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_every_action_is_pinned_by_sha_with_its_version() -> None:
    for path in (WORKFLOW, CPU_WORKFLOW, LOCAL_ACTION):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"^\s*(?:-\s+)?uses:", line) and "uses: ./" not in line:
                assert PINNED.match(line), f"{path.name}:{n}: pin by full SHA with '# vX.Y.Z': {line.strip()}"


def test_local_actions_exist(workflow: dict[Any, Any]) -> None:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("./"):
                assert (ROOT / uses / "action.yml").is_file(), uses


def test_runner_labels_and_variables_are_declared_for_actionlint(workflow: dict[Any, Any]) -> None:
    config = load(GH / "actionlint.yaml")
    labels = set(config["self-hosted-runner"]["labels"])
    for name, job in workflow["jobs"].items():
        runs_on = job["runs-on"]
        assert "self-hosted" in runs_on, f"{name}: the suites need the self-hosted GPU runner"
        assert set(runs_on) - GITHUB_LABELS <= labels, f"{name}: declare {set(runs_on) - GITHUB_LABELS - labels}"
    used = set(re.findall(r"vars\.(\w+)", WORKFLOW.read_text(encoding="utf-8")))
    assert used == set(config["config-variables"])


def test_shards_cover_1_to_n_and_each_uploads_its_records(workflow: dict[Any, Any]) -> None:
    shard = workflow["jobs"]["shard"]
    ks = shard["strategy"]["matrix"]["shard"]
    assert ks == list(range(1, len(ks) + 1)) and len(ks) > 1
    assert shard["strategy"]["fail-fast"] is False
    assert "--shard" in run_scripts(shard)
    uploads = [s for s in shard["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["if"] == "always()"


def test_verdict_job_merges_gates_compares_and_reports(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["verdict"]
    assert set(job["needs"]) == {"tests", "shard"}
    downloads = [s for s in job["steps"] if "download-artifact" in s.get("uses", "")]
    assert downloads[0]["with"]["pattern"] == "shard-*" and downloads[0]["with"]["merge-multiple"] is True
    script = run_scripts(job)
    assert re.search(r"prs-bench leaderboard .*--strict", script, re.DOTALL)
    assert re.search(r"prs-bench compare .*--fail-below", script)
    assert re.search(r"prs-bench report .*--html", script)
    last = job["steps"][-1]
    assert "exit 1" in last["run"] and last["if"].startswith("always()"), "the last step fails the job"
    assert re.search(r"prs-bench validate ", script)
    for step_id in ("validate", "board", "report", "compare"):
        assert f"steps.{step_id}.outcome" in last["if"], f"a failed {step_id} must fail the job"


def test_expressions_refer_to_existing_steps_and_needed_jobs(workflow: dict[Any, Any]) -> None:
    for name, job in workflow["jobs"].items():
        text = yaml.safe_dump(job)
        ids = {s["id"] for s in job["steps"] if "id" in s}
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        for ref in re.findall(r"steps\.([\w-]+)\.", text):
            assert ref in ids, f"{name}: steps.{ref} is not a step id of this job"
        for ref in re.findall(r"needs\.([\w-]+)\.", text):
            assert ref in needs, f"{name}: needs.{ref} is not in needs"
            assert ref in workflow["jobs"]


def test_install_runs_pip_check() -> None:
    steps = load(LOCAL_ACTION)["runs"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    assert "pip install" in script and script.index("pip check") > script.index("pip install")


def prs_bench_commands(workflow: dict[Any, Any]) -> list[tuple[str, list[str]]]:
    """Every ``prs-bench ...`` command line in the jobs, with $VARS replaced by sample values."""
    sample = {"TIER": "quick", "RESULTS": "results", "SHARD": "1/4", "FAIL_BELOW": "1.0"}
    out = []
    for name, job in workflow["jobs"].items():
        script = run_scripts(job).replace("\\\n", " ")
        for line in script.splitlines():
            m = re.search(r"prs-bench (.*)", line)
            if not m or line.lstrip().startswith("#"):
                continue
            cmd = re.split(r"\s(?:\||>>?|&&|\|\|)\s", m.group(1))[0]
            cmd = re.sub(r"\$\{?(\w+)\}?", lambda v: sample.get(v.group(1), "x"), cmd)
            out.append((name, shlex.split(cmd)))
    return out


def test_every_prs_bench_command_parses(workflow: dict[Any, Any]) -> None:
    commands = prs_bench_commands(workflow)
    assert {argv[0] for _, argv in commands} >= {"run", "validate", "leaderboard", "compare", "report"}
    parser = build_parser()
    for job, argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"job {job}: `prs-bench {' '.join(argv)}` does not parse (see the error above)")


def test_last_accepted_picks_the_newest_unexpired_artifact_on_main() -> None:
    spec = importlib.util.spec_from_file_location("last_accepted", GH / "scripts" / "last_accepted.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def art(i: int, when: str, branch: str = "main", expired: bool = False, name: str = "acc") -> dict[str, Any]:
        return {
            "id": i,
            "name": name,
            "expired": expired,
            "created_at": when,
            "workflow_run": {"id": 100 + i, "head_branch": branch},
        }

    arts = [
        art(1, "2026-11-01T00:00:00Z"),
        art(2, "2026-11-20T00:00:00Z", expired=True),
        art(3, "2026-11-25T00:00:00Z", branch="topic"),
        art(4, "2026-11-10T00:00:00Z"),
        art(5, "2026-11-29T00:00:00Z", name="other"),
    ]
    assert mod.pick(arts, "acc", "main")["id"] == 4
    assert mod.pick(arts[1:3], "acc", "main") is None


def test_cpu_tiers_job_trains_on_real_data_renders_uploads_and_gates_regressions() -> None:
    wf = load(CPU_WORKFLOW)
    triggers = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as True
    assert "workflow_dispatch" in triggers and "schedule" in triggers
    (job,) = wf["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"  # a hosted CPU runner
    script = run_scripts(job)
    assert "apt-get install" in script and "dataset-fashion-mnist" in script
    assert script.index("nox -s cpu_tiers") < script.index("nox -s readme_results")
    assert '"regression"' in script and "sys.exit(1 if bad else 0)" in script
    upload = [s for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload and upload[0]["if"] == "always()"
    parser = build_parser()
    for line in script.splitlines():
        m = re.search(r"prs-bench (.*)", line)
        if m:
            cmd = re.split(r"\s(?:\||>>?|&&|\|\|)\s", m.group(1))[0].replace('"$RESULTS"', "results-cpu")
            parser.parse_args(shlex.split(cmd))


@pytest.mark.skipif(
    shutil.which("actionlint") is None, reason="actionlint not on PATH (docs/CI.md: how to lint the workflow)"
)
def test_actionlint_passes() -> None:
    res = subprocess.run(["actionlint"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
