"""Layering: the packages of bench/ import each other without cycles, and suites load without torch.

Lower layers never import higher ones (docs/DESIGN.md); a cycle is how that rule first breaks.
Every import counts, including the ones inside functions: a lazy import still couples two layers.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the bench modules ``path`` imports (relative imports resolved)."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "bench")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "bench":
                continue
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)  # `from . import x` names a module
    return out


def _package(name: str) -> str:
    """The unit of layering: bench.<first part> (a subpackage or a top-level module)."""
    return ".".join(name.split(".")[:2])


def _is_module(package: str) -> bool:
    parts = package.split(".")
    if len(parts) < 2:
        return False
    part = parts[1]
    return (BENCH / part).is_dir() or (BENCH / f"{part}.py").is_file()


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(BENCH.rglob("*.py")):
        src = _package(_module_name(path))
        deps = {p for p in map(_package, _imports(path)) if _is_module(p)} - {src}
        graph.setdefault(src, set()).update(deps)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_graph_sees_relative_and_lazy_imports() -> None:
    graph = package_graph()
    assert "bench.errors" in graph["bench.suite"]  # `from ..errors import BenchError`
    assert "bench.suite" in graph["bench.cli"]


def test_no_package_level_import_cycles() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, "import cycle between packages of bench/: " + " -> ".join(cycle or [])


def test_loading_and_planning_suites_needs_no_torch() -> None:
    """Suites are plain data: reading and planning the shipped ones imports no torch, timm or model code."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import bench.suite as s\n"
        f"for suite in s.load_suites(suites_dir=Path({str(ROOT / 'suites')!r})):\n"
        "    [s.plan_runs(suite, tier) for tier in suite.tiers]\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    loaded = set(json.loads(out.stdout))
    heavy = sorted(
        m for m in loaded if m.split(".")[0] in ("torch", "timm", "torchvision", "datasets", "numpy", "scipy")
    )
    layers = sorted(
        m
        for m in loaded
        if _package(m) in ("bench.models", "bench.data", "bench.train", "bench.verdicts", "bench.analysis")
    )
    assert not heavy and not layers, f"import bench.suite loads {', '.join((heavy + layers)[:8])}"
